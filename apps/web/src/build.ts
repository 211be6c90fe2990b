// `bun run build:web`: writes the admin UI's static files for a deploy that serves them in
// front of the app (Workers static assets): dist/assets/app.js, dist/assets/app.css, and the
// API reference's script at dist/api/docs/scalar.js. The paths are the URLs they answer.
import { copyFileSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { bundleWebAssets } from "./bundle.ts";

const out = process.argv[2] ?? join(import.meta.dir, "..", "dist");
rmSync(out, { recursive: true, force: true });
mkdirSync(join(out, "assets"), { recursive: true });
mkdirSync(join(out, "api", "docs"), { recursive: true });
const { js, css } = await bundleWebAssets();
writeFileSync(join(out, "assets", "app.js"), js);
writeFileSync(join(out, "assets", "app.css"), css);
// Resolved from the API package, which depends on @scalar/api-reference.
const fromApi = createRequire(join(import.meta.dir, "..", "..", "api", "package.json"));
const scalar = join(dirname(fromApi.resolve("@scalar/api-reference")), "browser", "standalone.js");
copyFileSync(scalar, join(out, "api", "docs", "scalar.js"));
console.log(`admin UI built into ${out}`);
