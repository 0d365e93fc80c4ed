// `npm start`: like `npm run dev` but builds and serves the production server.
process.argv.push("--prod");
await import("./dev.mjs");
