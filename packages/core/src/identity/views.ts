import type { Tenant, User } from "@roster/db";
import { iso } from "../paging.ts";

export type UserView = ReturnType<typeof userView>;

/** A user as the API shows it: never the password hash or the PIN hash. */
export const userView = (user: User, aliases: string[], roles: string[]) => ({
  id: user.id,
  email: user.email,
  firstName: user.firstName,
  lastName: user.lastName,
  aliases,
  tags: user.tags,
  roles,
  signIn: user.signIn,
  connectionId: user.connectionId,
  externalId: user.externalId,
  createdAt: iso(user.createdAt) as string,
  updatedAt: iso(user.updatedAt) as string,
  deletedAt: iso(user.deletedAt),
});

export const tenantView = (tenant: Tenant) => ({
  id: tenant.id,
  slug: tenant.slug,
  name: tenant.name,
  createdAt: iso(tenant.createdAt) as string,
});
