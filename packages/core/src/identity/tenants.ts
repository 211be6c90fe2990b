import { isUniqueViolation, newId, roles, tenants, userRoles, users } from "@roster/db";
import { and, eq } from "drizzle-orm";
import type { CoreDeps, Ctx } from "../context.ts";
import { DomainError } from "../errors.ts";
import { BUILT_IN_ROLES } from "../permissions.ts";
import { hashPassword } from "./password-hash.ts";
import { requireGoodPassword } from "./password-policy.ts";
import { getUser } from "./users.ts";
import { tenantView } from "./views.ts";

export type NewTenant = {
  slug: string;
  name: string;
  admin: { email: string; password: string; firstName: string; lastName: string };
};

/** A tenant with its built-in roles and its first administrator. */
export async function createTenant(deps: CoreDeps, input: NewTenant) {
  requireGoodPassword(input.admin.password, ["admin", "password"]);
  const now = deps.clock.now();
  const tenantId = newId("ten");
  const adminId = newId("usr");
  const passwordHash = await hashPassword(input.admin.password);
  const roleIds = BUILT_IN_ROLES.map((role) => ({ ...role, id: newId("rol") }));
  try {
    await deps.db.db.transaction(async (tx) => {
      await tx.insert(tenants).values({
        id: tenantId,
        slug: input.slug,
        name: input.name,
        createdAt: now,
        updatedAt: now,
      });
      await tx.insert(roles).values(
        roleIds.map((role) => ({
          id: role.id,
          tenantId,
          name: role.name,
          permissions: [...role.permissions],
          createdAt: now,
          updatedAt: now,
        })),
      );
      await tx.insert(users).values({
        id: adminId,
        tenantId,
        email: input.admin.email.trim(),
        firstName: input.admin.firstName,
        lastName: input.admin.lastName,
        signIn: "password",
        passwordHash,
        createdAt: now,
        updatedAt: now,
      });
      const administrator = roleIds.find((role) => role.name === "Administrator");
      if (administrator)
        await tx.insert(userRoles).values({ userId: adminId, roleId: administrator.id });
    });
  } catch (error) {
    if (isUniqueViolation(error))
      throw new DomainError("slug_taken", `The tenant slug "${input.slug}" is taken.`);
    throw error;
  }
  deps.log.info("tenant created", { tenantId, slug: input.slug });
  const ctx: Ctx = { ...deps, tenantId, actor: { kind: "system" } };
  const [tenant] = await deps.db.db.select().from(tenants).where(eq(tenants.id, tenantId));
  return {
    tenant: tenantView(tenant as NonNullable<typeof tenant>),
    admin: await getUser(ctx, adminId),
  };
}

/** On an empty database, the `default` tenant with the configured administrator. */
export async function bootstrapAdmin(
  deps: CoreDeps,
  input: { email: string; password: string },
): Promise<boolean> {
  const [existing] = await deps.db.db.select({ id: tenants.id }).from(tenants).limit(1);
  if (existing) return false;
  await createTenant(deps, {
    slug: "default",
    name: "Default",
    admin: {
      email: input.email,
      password: input.password,
      firstName: "Administrator",
      lastName: "Admin",
    },
  });
  return true;
}

/** Every permission the user's roles grant. */
export async function permissionsOf(
  deps: CoreDeps,
  tenantId: string,
  userId: string,
): Promise<string[]> {
  const rows = await deps.db.db
    .select({ permissions: roles.permissions })
    .from(userRoles)
    .innerJoin(roles, eq(roles.id, userRoles.roleId))
    .where(and(eq(userRoles.userId, userId), eq(roles.tenantId, tenantId)));
  return [...new Set(rows.flatMap((row) => row.permissions))].sort();
}
