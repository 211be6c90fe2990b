/**
 * The first line a helper process prints (its address, as JSON) once it listens; `what`
 * names it in the error if it exits first.
 */
export async function firstLineOf(stdout: ReadableStream<Uint8Array>, what: string) {
  const reader = stdout.getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`${what} exited before it started`);
    text += new TextDecoder().decode(value);
  }
  reader.releaseLock();
  return text.split("\n")[0] as string;
}
