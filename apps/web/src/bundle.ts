import { join } from "node:path";

export type WebAssets = { js: string; css: string };

let cached: Promise<WebAssets> | null = null;

/**
 * Bundles the admin UI with Bun's bundler, once per process, in memory: no build step, no
 * CDN, nothing fetched at run time. (`bun run build:web` writes the same files for a deploy
 * that serves them as static files.)
 */
export function webAssets(): Promise<WebAssets> {
  cached ??= bundleWebAssets();
  return cached;
}

/** The admin UI's script and stylesheet, bundled now. */
export async function bundleWebAssets(): Promise<WebAssets> {
  {
    const result = await Bun.build({
      entrypoints: [join(import.meta.dir, "main.tsx")],
      target: "browser",
      minify: true,
      tsconfig: join(import.meta.dir, "..", "tsconfig.json"),
    });
    if (!result.success) throw new AggregateError(result.logs, "The admin UI failed to build");
    const js = await (result.outputs[0] as Blob).text();
    const css = await Bun.file(join(import.meta.dir, "styles.css")).text();
    return { js, css };
  }
}

/** The single page every UI route answers with. */
export const indexHtml = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Roster</title>
<link rel="stylesheet" href="/assets/app.css">
</head>
<body>
<div id="root"></div>
<script type="module" src="/assets/app.js"></script>
</body>
</html>`;
