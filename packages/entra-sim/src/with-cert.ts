/**
 * Runs a command with the simulator's certificate trusted:
 * `bun with-cert.ts bun test` → ensures the certificate, then spawns the command with
 * `NODE_EXTRA_CA_CERTS` set, because Bun and Node read that variable only at start-up.
 */
import { ensureCertificate } from "./certs.ts";

const command = process.argv.slice(2);
if (command.length === 0) {
  process.stderr.write("usage: bun with-cert.ts <command> [args...]\n");
  process.exit(2);
}
const { certPath } = await ensureCertificate();
const child = Bun.spawn(command, {
  env: { ...process.env, NODE_EXTRA_CA_CERTS: certPath },
  stdio: ["inherit", "inherit", "inherit"],
});
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => child.kill(signal));
}
process.exit(await child.exited);
