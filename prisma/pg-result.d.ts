declare module "pg/lib/result";
