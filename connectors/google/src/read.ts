import type { admin_directory_v1 } from "@googleapis/admin";
import { ConnectorError, type ConnectorLogger, type DirectoryUser } from "@roster/connector-kit";
import { classify, isRateLimited, toConnectorError } from "./errors.ts";

export const USERS_PAGE_SIZE = 500;
export const MEMBERS_PAGE_SIZE = 200;

/**
 * Backoff for Google's rate limits, which gaxios does not retry (it never retries 403 and
 * ignores Retry-After). developers.google.com/workspace/admin/directory/v1/limits: "use
 * exponential backoff": wait min(2^n seconds + random milliseconds, maximum) and retry.
 */
export type BackoffPolicy = { attempts: number; baseMs: number; maxMs: number };
export const DEFAULT_BACKOFF: BackoffPolicy = { attempts: 8, baseMs: 1000, maxMs: 32_000 };

export type CallContext = {
  log: ConnectorLogger;
  signal?: AbortSignal;
  backoff: BackoffPolicy;
  adminEmail: string;
  clientId: string;
};

/** One Directory API call, with rate limits ridden out; any other failure is a ConnectorError. */
export async function call<T>(
  context: CallContext,
  what: string,
  request: () => Promise<{ data: T }>,
): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    if (context.signal?.aborted) throw new ConnectorError("aborted", "The read was stopped.");
    try {
      return (await request()).data;
    } catch (error) {
      if (!isRateLimited(error) || attempt >= context.backoff.attempts) {
        throw toConnectorError(error, context);
      }
      const wait = Math.min(
        context.backoff.baseMs * 2 ** (attempt - 1) + Math.random() * context.backoff.baseMs,
        context.backoff.maxMs,
      );
      context.log.warn("google rate limit, backing off", {
        what,
        attempt,
        waitMs: Math.round(wait),
        reason: classify(error, context).code,
      });
      await Bun.sleep(wait);
    }
  }
}

type User = admin_directory_v1.Schema$User;

/** Pages of `users.list`, each yielded before the next is asked for. */
export async function* listUsers(
  context: CallContext,
  directory: admin_directory_v1.Admin,
  params: { customer: string; query?: string; projection: "basic" | "full" },
): AsyncGenerator<User[]> {
  let pageToken: string | undefined;
  do {
    const page = await call(context, "users.list", () =>
      directory.users.list({
        customer: params.customer,
        maxResults: USERS_PAGE_SIZE,
        orderBy: "email",
        projection: params.projection,
        ...(params.query ? { query: params.query } : {}),
        ...(pageToken ? { pageToken } : {}),
      }),
    );
    // Google leaves `users` out of an empty page rather than sending [].
    yield page.users ?? [];
    pageToken = page.nextPageToken ?? undefined;
  } while (pageToken);
}

type Member = admin_directory_v1.Schema$Member;

/** Direct members of one group, every page. */
async function directMembers(
  context: CallContext,
  directory: admin_directory_v1.Admin,
  groupKey: string,
): Promise<Member[]> {
  const members: Member[] = [];
  let pageToken: string | undefined;
  do {
    const page = await call(context, "members.list", () =>
      directory.members.list({
        groupKey,
        maxResults: MEMBERS_PAGE_SIZE,
        ...(pageToken ? { pageToken } : {}),
      }),
    );
    members.push(...(page.members ?? []));
    pageToken = page.nextPageToken ?? undefined;
  } while (pageToken);
  return members;
}

/**
 * Every user member of a group and of the groups nested in it, each once. Roster expands
 * `type: GROUP` members itself (the semantics of `includeDerivedMembership` are not
 * documented); a group met twice, as in a cycle, is read once. `CUSTOMER` (everyone in the
 * Workspace) and `EXTERNAL` (outside addresses) members are skipped with a warning.
 */
export async function transitiveUserIds(
  context: CallContext,
  directory: admin_directory_v1.Admin,
  groupKey: string,
): Promise<string[]> {
  const userIds = new Set<string>();
  const visited = new Set<string>();
  const queue = [groupKey];
  while (queue.length > 0) {
    const key = queue.shift() as string;
    if (visited.has(key)) continue;
    visited.add(key);
    const skipped: Record<string, number> = {};
    for (const member of await directMembers(context, directory, key)) {
      if (member.type === "USER" && member.id) userIds.add(member.id);
      else if (member.type === "GROUP" && member.id) {
        if (!visited.has(member.id)) queue.push(member.id);
      } else {
        const type = member.type ?? "UNKNOWN";
        skipped[type] = (skipped[type] ?? 0) + 1;
      }
    }
    if (Object.keys(skipped).length > 0) {
      context.log.warn("google group members skipped: not users of the Workspace", {
        group: key,
        skipped,
      });
    }
  }
  return [...userIds];
}

const text = (value: unknown): string | null =>
  typeof value === "string" && value.trim() !== "" ? value.trim() : null;

type Organization = {
  primary?: boolean | null;
  department?: string | null;
  title?: string | null;
  costCenter?: string | null;
};

/** A string for each alias field; custom schema fields are looked up case-insensitively. */
function attribute(user: User, field: string): string | null {
  const organizations = (user.organizations ?? []) as Organization[];
  const organization = organizations.find((org) => org.primary) ?? organizations[0];
  switch (field) {
    case "primaryEmail":
      return text(user.primaryEmail);
    case "name.givenName":
      return text(user.name?.givenName);
    case "name.familyName":
      return text(user.name?.familyName);
    case "name.fullName":
      return text(user.name?.fullName);
    case "externalIds": {
      const ids = (user.externalIds ?? []) as { value?: string; type?: string }[];
      return text((ids.find((id) => id.type === "organization") ?? ids[0])?.value);
    }
    case "aliases":
      return text(user.aliases?.[0]);
    case "orgUnitPath":
      return text(user.orgUnitPath);
    case "organizations.department":
      return text(organization?.department);
    case "organizations.title":
      return text(organization?.title);
    case "organizations.costCenter":
      return text(organization?.costCenter);
    case "id":
      return text(user.id);
    default: {
      const [schema = "", name = ""] = field.split(".");
      const schemas = (user.customSchemas ?? {}) as Record<string, Record<string, unknown>>;
      const match = Object.entries(schemas).find(
        ([key]) => key.toLowerCase() === schema.toLowerCase(),
      )?.[1];
      const value =
        match &&
        Object.entries(match).find(([key]) => key.toLowerCase() === name.toLowerCase())?.[1];
      return typeof value === "number" ? String(value) : text(value);
    }
  }
}

/** Suspended and archived accounts are disabled, like Entra's `accountEnabled = false`. */
export function toDirectoryUser(user: User, fields: readonly string[]): DirectoryUser {
  const givenName = text(user.name?.givenName);
  const surname = text(user.name?.familyName);
  return {
    externalId: String(user.id),
    email: text(user.primaryEmail),
    givenName,
    surname,
    displayName:
      text(user.name?.fullName) ?? ([givenName, surname].filter(Boolean).join(" ") || null),
    enabled: user.suspended !== true && user.archived !== true,
    attributes: Object.fromEntries(fields.map((field) => [field, attribute(user, field)])),
  };
}
