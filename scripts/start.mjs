// `npm start`: like `npm run dev` but serves the production server, building it first only when there is no
// build or a source file is newer than it (scripts/lib/build-freshness.mjs); `npm start -- --build` forces one.
process.argv.push("--prod");
await import("./dev.mjs");
