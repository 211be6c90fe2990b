import { generateKeyPairSync } from "node:crypto";
import type { ConnectorLogger } from "@roster/connector-kit";
import type { ServiceAccountKey, SimWorkspace } from "@roster/google-sim";

/** A logger that keeps what it was told, for warnings the tests look for. */
export function recordingLog() {
  const entries: { level: string; message: string; fields?: Record<string, unknown> }[] = [];
  const at = (level: string) => (message: string, fields?: Record<string, unknown>) => {
    entries.push({ level, message, fields });
  };
  const log: ConnectorLogger = {
    debug: at("debug"),
    info: at("info"),
    warn: at("warn"),
    error: at("error"),
  };
  return { log, entries };
}

/** The same service account with a private key Google never saw: its signature fails. */
export function withForeignKey(key: ServiceAccountKey): ServiceAccountKey {
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  return { ...key, private_key: privateKey.export({ type: "pkcs8", format: "pem" }).toString() };
}

/**
 * The users a group holds directly or through nested groups, computed from the simulator's
 * model (not through the connector), skipping customer and external members.
 */
export function expectedMembers(workspace: SimWorkspace, groupId: string): string[] {
  const users = new Set<string>();
  const seen = new Set<string>();
  const walk = (id: string) => {
    const group = workspace.findGroup(id);
    if (!group || seen.has(group.id)) return;
    seen.add(group.id);
    for (const member of group.members) {
      if (member.type === "USER" && member.id) users.add(member.id);
      if (member.type === "GROUP" && member.id) walk(member.id);
    }
  };
  walk(groupId);
  return [...users];
}
