/**
 * A Workers runtime refuses to compile WebAssembly from bytes at run time
 * (`WebAssembly.compile` is "disallowed by embedder"; developers.cloudflare.com/workers/
 * runtime-apis/webassembly/javascript/): a module must be uploaded with the script and
 * imported, arriving compiled. hash-wasm compiles its embedded bytes, so the Workers entry
 * hands it the modules `bun run build:worker` extracted from it, matched by size: any other
 * bytes are still refused, as the runtime would.
 */
export function usePrecompiledWasm(modules: Record<number, WebAssembly.Module>) {
  const compile = WebAssembly.compile.bind(WebAssembly);
  WebAssembly.compile = ((bytes: BufferSource) => {
    const module = modules[bytes.byteLength];
    return module ? Promise.resolve(module) : compile(bytes);
  }) as typeof WebAssembly.compile;
}
