import type { Client } from "@libsql/client";

/** What matching needs to know about one application user. */
export type KnownUser = {
  id: string;
  email: string;
  firstName: string;
  lastName: string;
  tags: string[];
  connectionId: string | null;
  externalId: string | null;
  deleted: boolean;
  aliases: string[];
};

/**
 * The tenant's users as matching sees them, loaded in three bulk queries at the start of a
 * run (no per-user SELECT in the hot path). The planner updates it as it decides, so a
 * later directory user sees the emails, aliases and PINs an earlier one claimed.
 */
export class UserIndex {
  readonly byId = new Map<string, KnownUser>();
  /** Users of this connection by directory object id. */
  readonly byExternalId = new Map<string, KnownUser>();
  /** Every user of the tenant (soft-deleted included) by lower-cased email. */
  readonly byEmail = new Map<string, KnownUser>();
  /** Lower-cased alias → the user holding it. */
  readonly aliasOwner = new Map<string, string>();
  readonly pinHashes = new Set<string>();

  static async load(client: Client, tenantId: string, connectionId: string): Promise<UserIndex> {
    const index = new UserIndex();
    const users = await client.execute({
      sql: `select id, email, first_name, last_name, tags, connection_id, external_id, deleted_at, pin_hash
            from users where tenant_id = ?`,
      args: [tenantId],
    });
    for (const row of users.rows) {
      const user: KnownUser = {
        id: String(row.id),
        email: String(row.email),
        firstName: String(row.first_name),
        lastName: String(row.last_name),
        tags: JSON.parse(String(row.tags)) as string[],
        connectionId: row.connection_id === null ? null : String(row.connection_id),
        externalId: row.external_id === null ? null : String(row.external_id),
        deleted: row.deleted_at !== null,
        aliases: [],
      };
      index.put(user, connectionId);
      if (row.pin_hash !== null) index.pinHashes.add(String(row.pin_hash));
    }
    const aliases = await client.execute({
      sql: "select user_id, alias from user_aliases where tenant_id = ?",
      args: [tenantId],
    });
    for (const row of aliases.rows) {
      const alias = String(row.alias);
      index.aliasOwner.set(alias.toLowerCase(), String(row.user_id));
      index.byId.get(String(row.user_id))?.aliases.push(alias);
    }
    return index;
  }

  put(user: KnownUser, connectionId: string): void {
    this.byId.set(user.id, user);
    this.byEmail.set(user.email.toLowerCase(), user);
    if (user.connectionId === connectionId && user.externalId) {
      this.byExternalId.set(user.externalId, user);
    }
  }

  /** Moves a user's email key when its email changes. */
  changeEmail(user: KnownUser, email: string): void {
    if (this.byEmail.get(user.email.toLowerCase()) === user)
      this.byEmail.delete(user.email.toLowerCase());
    user.email = email;
    this.byEmail.set(email.toLowerCase(), user);
  }

  /** Active users linked to this connection. */
  activeOfConnection(connectionId: string): KnownUser[] {
    return [...this.byExternalId.values()].filter(
      (user) => !user.deleted && user.connectionId === connectionId,
    );
  }
}
