// `bun run build:worker`: the Workers deploy in apps/api/dist/worker/ — worker.js (the
// bundled entry, src/worker.ts), hash-wasm's argon2 and blake2b modules as .wasm files with
// the module that imports them, and assets/ (the admin UI and the API reference's script,
// built by build:web) to upload as static assets.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

const root = join(import.meta.dir, "..", "..");
const out = process.argv[2] ?? join(root, "dist", "worker");
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

// hash-wasm embeds each module as base64 (`var name$k = "argon2"; var data$k = "…"`).
const require = createRequire(join(root, "..", "..", "packages", "core", "package.json"));
const hashWasm = readFileSync(join(dirname(require.resolve("hash-wasm")), "index.esm.js"), "utf8");
const imports: string[] = [];
const entries: string[] = [];
for (const name of ["argon2", "blake2b"]) {
  const match = new RegExp(`var name\\$(\\w+) = "${name}";\\s*var data\\$\\1 = "([^"]+)"`).exec(
    hashWasm,
  );
  if (!match) throw new Error(`hash-wasm's ${name} module was not found`);
  const bytes = Buffer.from(match[2] as string, "base64");
  writeFileSync(join(out, `${name}.wasm`), bytes);
  imports.push(`import ${name} from "./${name}.wasm";`);
  entries.push(`${bytes.byteLength}: ${name}`);
}
writeFileSync(
  join(out, "precompiled-wasm-modules.js"),
  `${imports.join("\n")}\nexport default { ${entries.join(", ")} };\n`,
);

const result = await Bun.build({
  entrypoints: [join(root, "src", "worker.ts")],
  outdir: out,
  target: "node",
  format: "esm",
  // The Workers export conditions: @libsql/client resolves to its web (fetch) client.
  conditions: ["workerd", "worker", "browser"],
  external: ["cloudflare:*", "node:*"],
  plugins: [
    {
      name: "precompiled-wasm-beside-the-bundle",
      setup(build) {
        build.onResolve({ filter: /precompiled-wasm-modules\.js$/ }, () => ({
          path: "./precompiled-wasm-modules.js",
          external: true,
        }));
        // Resend's optional React renderer (only for `react:` emails, which Roster never sends).
        build.onResolve({ filter: /^@react-email\/render$/ }, () => ({
          path: "react-email-render",
          namespace: "absent",
        }));
        build.onLoad({ filter: /.*/, namespace: "absent" }, () => ({
          contents:
            "export const render = () => { throw new Error('React emails are not supported'); };",
          loader: "js",
        }));
      },
    },
  ],
  naming: "worker.js",
  minify: false,
});
if (!result.success) throw new AggregateError(result.logs, "the Workers bundle failed to build");
// Bun's bundle turns CommonJS `require`s of Node built-ins into a `createRequire(import.meta.url)`
// shim; a Workers module has no import.meta.url at load and its `node:module` cannot require
// every built-in. So each built-in the bundle requires is imported statically (the runtime's
// `nodejs_compat` modules) and the shim becomes a lookup of those.
const bundlePath = join(out, "worker.js");
let bundled = readFileSync(bundlePath, "utf8");
const shim = /var __require = (\/\* @__PURE__ \*\/ )?createRequire\(import\.meta\.url\);/;
if (!shim.test(bundled)) throw new Error("the bundle's require shim changed; check build-worker");
const required = [
  ...new Set([...bundled.matchAll(/__require\("([^"]+)"\)/g)].map((m) => m[1] as string)),
];
const builtins = required.map((name) => name.replace(/^node:/, ""));
const lookup = required.map(
  (name, i) => `${JSON.stringify(name)}: __node${i}.default ?? __node${i}`,
);
bundled = bundled.replace(
  shim,
  `var __require = (name) => { const m = ({ ${lookup.join(", ")} })[name]; if (!m) throw new Error("not bundled: " + name); return m; };`,
);
const header = builtins.map((name, i) => `import * as __node${i} from "node:${name}";`).join("\n");
writeFileSync(bundlePath, `${header}\n${bundled}`);
console.log(`built-ins required by the bundle: ${builtins.join(", ")}`);

await Bun.$`bun ${join(root, "..", "web", "src", "build.ts")} ${join(out, "assets")}`.quiet();
console.log(`Workers deploy built into ${out}`);
