import type { DirectoryChanges, SyncOptions } from "@roster/connector-kit";
import type { CoreDeps } from "../context.ts";
import { compileAliasTemplate } from "../rules/aliases.ts";
import { matchUser } from "../rules/match.ts";
import type { SyncTarget } from "./synchronize.ts";
import type { UserIndex } from "./user-index.ts";

/**
 * For a run that reads only changes: before a page is planned, the index learns the users
 * its changes can match, the aliases they want and a PIN for each user it may create or
 * restore — a few bulk lookups instead of loading the tenant.
 */
export function changeIndexer(
  deps: CoreDeps,
  target: SyncTarget,
  options: SyncOptions,
  index: UserIndex,
) {
  const aliases = compileAliasTemplate(
    options.aliasTemplate,
    options.aliasesWithoutInvalidCharacters,
  );
  return async (page: DirectoryChanges) => {
    const externalIds = [
      ...page.upserted.map((user) => user.externalId),
      ...page.removed.map((removal) => removal.externalId),
    ];
    const emails = page.upserted.flatMap((user) => (user.email ? [user.email.toLowerCase()] : []));
    const wanted = page.upserted.flatMap((user) =>
      aliases(user.attributes).map((alias) => alias.toLowerCase()),
    );
    // The users the planner may create or restore (the only ones it draws a PIN for).
    const pinsNeeded = () =>
      page.upserted.filter((user) => {
        if (!user.enabled || !user.email) return false;
        const match = matchUser(index, user);
        return !match || match.deleted;
      }).length;
    await index.addMatching(
      deps.db.client,
      target.tenantId,
      target.connectionId,
      { externalIds, emails, aliases: wanted },
      pinsNeeded,
      (pin) => deps.keyring.hashPin(target.tenantId, pin),
    );
  };
}
