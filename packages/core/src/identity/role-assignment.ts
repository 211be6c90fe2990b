import type { Ctx } from "../context.ts";
import { DomainError } from "../errors.ts";
import { ALL_PERMISSIONS } from "../permissions.ts";
import { permissionsOf } from "./tenants.ts";

type RoleGrant = { name: string; permissions: readonly string[] };

/** What the caller may grant: every permission for the system, its own roles' for a user. */
async function grantablePermissions(ctx: Ctx): Promise<Set<string>> {
  if (ctx.actor.kind === "system") return new Set(ALL_PERMISSIONS);
  return new Set(await permissionsOf(ctx, ctx.tenantId, ctx.actor.userId));
}

/**
 * Privilege escalation guard (issue 12, finding 4): a caller may give or take away only roles
 * whose permissions it holds itself, and never changes its own roles — otherwise a Users
 * administrator could make itself a UserSync administrator, or demote the administrators
 * above it. `before` is empty for a new user.
 */
export async function refuseRoleChange(
  ctx: Ctx,
  change: { userId: string | null; before: RoleGrant[]; after: RoleGrant[] },
): Promise<void> {
  const beforeNames = new Set(change.before.map((role) => role.name));
  const afterNames = new Set(change.after.map((role) => role.name));
  const touched = [
    ...change.after.filter((role) => !beforeNames.has(role.name)),
    ...change.before.filter((role) => !afterNames.has(role.name)),
  ];
  if (touched.length === 0) return;
  if (ctx.actor.kind === "user" && ctx.actor.userId === change.userId) {
    throw new DomainError(
      "forbidden",
      "You cannot change your own roles; ask another administrator.",
      {
        roles: touched.map((role) => role.name).sort(),
      },
    );
  }
  const grantable = await grantablePermissions(ctx);
  const beyond = touched.filter((role) => role.permissions.some((p) => !grantable.has(p)));
  if (beyond.length > 0) {
    const names = beyond.map((role) => role.name).sort();
    throw new DomainError(
      "forbidden",
      `Only someone who holds every permission of ${names.join(", ")} can give or remove it.`,
      { roles: names },
    );
  }
}
