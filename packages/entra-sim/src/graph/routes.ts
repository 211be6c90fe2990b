import { Hono } from "hono";
import { GraphFailure, graphError, insufficientPrivileges, notFoundResource } from "../errors.ts";
import type { Faults, RequestCounts } from "../faults.ts";
import type { SimDirectory, SimTenant, SimUser } from "../model.ts";
import { GRAPH_AUDIENCE, type TokenSigner } from "../tokens.ts";
import { deltaRoutes } from "./delta.ts";
import {
  decodeToken,
  encodeToken,
  parseSelect,
  parseTop,
  parseUserFilter,
  project,
  type UserProperty,
} from "./odata.ts";

export type GraphEnv = {
  Variables: { tenant: SimTenant; roles: string[]; requestId: string; origin: string };
};

export type GraphOptions = {
  directory: SimDirectory;
  signer: TokenSigner;
  origin: () => string;
  faults: () => Faults;
  counts: RequestCounts;
  onRequest?: (url: URL) => void;
};

/** Application permissions that allow each read (learn.microsoft.com/graph/api/*, "Permissions"). */
export const CAN_READ_USERS = [
  "User.Read.All",
  "User.ReadWrite.All",
  "Directory.Read.All",
  "Directory.ReadWrite.All",
];
export const CAN_READ_GROUPS = [
  "GroupMember.Read.All",
  "Group.Read.All",
  "Group.ReadWrite.All",
  "Directory.Read.All",
  "Directory.ReadWrite.All",
];
const CAN_READ_ORG = [
  "Organization.Read.All",
  "Organization.ReadWrite.All",
  "Directory.Read.All",
  "Directory.ReadWrite.All",
];

const JSON_TYPE =
  "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8";

const isGuid = (value: string) =>
  /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);

export function requireRole(roles: string[], allowed: string[]) {
  if (!roles.some((role) => allowed.includes(role))) throw insufficientPrivileges();
}

/** A page of a collection in Graph's envelope, with its own origin in every link. */
export function collection(context: string, value: unknown[], extra: Record<string, unknown> = {}) {
  return new Response(JSON.stringify({ "@odata.context": context, ...extra, value }), {
    headers: { "content-type": JSON_TYPE },
  });
}

type PageToken = { after: string | null; page: number };

/** Keyset paging over id-ordered items: stable when objects are added or removed mid-read. */
function pageOf<T extends { id: string }>(items: T[], token: PageToken, top: number) {
  let start = 0;
  if (token.after !== null) {
    const after = token.after;
    let low = 0;
    let high = items.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if ((items[mid] as T).id <= after) low = mid + 1;
      else high = mid;
    }
    start = low;
  }
  const page = items.slice(start, start + top);
  const more = start + top < items.length;
  return { page, next: more ? { after: page.at(-1)?.id ?? null, page: token.page + 1 } : null };
}

export function graphRoutes(options: GraphOptions) {
  const { directory, signer, origin, faults, counts } = options;
  const app = new Hono<GraphEnv>();

  app.onError((error, c) => {
    if (error instanceof DroppedConnection) return brokenBody();
    const request = {
      requestId: c.get("requestId"),
      clientRequestId: c.req.header("client-request-id") ?? null,
    };
    if (error instanceof GraphFailure) {
      return graphError(error.status, error.code, error.message, request, error.headers);
    }
    return graphError(500, "generalException", "An internal server error occurred.", request);
  });

  // Identity, faults and authentication, in the order Graph applies them.
  app.use("/v1.0/*", async (c, next) => {
    const requestId = crypto.randomUUID();
    c.set("requestId", requestId);
    c.set("origin", origin());
    counts.graph += 1;
    const route = c.req.path.replace(/[0-9a-f]{8}-[0-9a-f-]{27}/gi, "{id}");
    counts.byRoute[route] = (counts.byRoute[route] ?? 0) + 1;
    const active = faults();
    if (active.latencyMs) await Bun.sleep(active.latencyMs);
    options.onRequest?.(new URL(c.req.url));
    await next();
    c.header("request-id", requestId);
    c.header("client-request-id", c.req.header("client-request-id") ?? requestId);
    c.header("x-ms-ags-diagnostic", '{"ServerInfo":{"DataCenter":"Simulator","Slice":"E"}}');
  });

  let requestNumber = 0;
  app.use("/v1.0/*", async (_c, next) => {
    const active = faults();
    requestNumber += 1;
    const storm = active.throttleEvery;
    if (storm && requestNumber % storm.every === 0) {
      counts.throttled += 1;
      throw new GraphFailure(429, "TooManyRequests", "Too many requests.", {
        "retry-after": String(storm.retryAfterSeconds),
      });
    }
    if (active.throttle && active.throttle.count > 0) {
      active.throttle.count -= 1;
      counts.throttled += 1;
      const seconds = String(active.throttle.retryAfterSeconds);
      throw new GraphFailure(429, "TooManyRequests", "Too many requests.", {
        "retry-after": seconds,
        "x-ms-throttle-scope": "Tenant_Application/ReadOnly/simulator",
        "x-ms-throttle-information": "ResourceUnitLimitExceeded",
      });
    }
    if (active.fail && active.fail.count > 0) {
      active.fail.count -= 1;
      counts.failed += 1;
      const status = active.fail.status;
      throw new GraphFailure(
        status,
        status === 503 ? "serviceNotAvailable" : "generalException",
        "The service is temporarily unavailable.",
      );
    }
    await next();
  });

  app.use("/v1.0/*", async (c, next) => {
    const header = c.req.header("authorization") ?? "";
    const bearer = /^Bearer\s+(.*)$/i.exec(header)?.[1]?.trim() ?? "";
    const wwwAuthenticate = {
      "www-authenticate":
        'Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"',
    };
    if (bearer === "")
      throw new GraphFailure(
        401,
        "InvalidAuthenticationToken",
        "Access token is empty.",
        wwwAuthenticate,
      );
    const claims = await signer.verify(bearer);
    if ("invalid" in claims)
      throw new GraphFailure(401, "InvalidAuthenticationToken", claims.invalid, wwwAuthenticate);
    if (claims.aud !== GRAPH_AUDIENCE && claims.aud !== origin()) {
      throw new GraphFailure(
        401,
        "InvalidAuthenticationToken",
        "Access token validation failure. Invalid audience.",
        wwwAuthenticate,
      );
    }
    const tenant = directory.find(claims.tid);
    if (!tenant)
      throw new GraphFailure(
        401,
        "InvalidAuthenticationToken",
        "Access token validation failure.",
        wwwAuthenticate,
      );
    c.set("tenant", tenant);
    c.set("roles", claims.roles);
    await next();
  });

  const failIfPageBroken = (page: number) => {
    const drop = faults().dropFromPage;
    if (drop !== undefined && page >= drop) {
      counts.failed += 1;
      throw new DroppedConnection();
    }
    const from = faults().failFromPage;
    if (from !== undefined && page >= from) {
      counts.failed += 1;
      throw new GraphFailure(500, "generalException", "An internal server error occurred.");
    }
  };

  /** Lists users in pages; shared by /users and the group member casts. */
  const listUsers = (
    c: {
      req: {
        query(name: string): string | undefined;
        header(name: string): string | undefined;
        url: string;
      };
      get(key: "origin"): string;
    },
    items: SimUser[],
    contextPath: string,
  ) => {
    const q = (name: string) => c.req.query(name);
    const advanced =
      c.req.header("consistencylevel")?.toLowerCase() === "eventual" && q("$count") === "true";
    if (q("$count") === "true" && !advanced) {
      throw new GraphFailure(
        400,
        "Request_UnsupportedQuery",
        "$count is not currently supported without the 'ConsistencyLevel:eventual' header.",
      );
    }
    const select = parseSelect(q("$select"));
    const top = parseTop(q("$top"));
    const filterText = q("$filter");
    const filter = parseUserFilter(filterText, advanced);
    const skipRaw = q("$skiptoken");
    const token =
      skipRaw === undefined ? { after: null, page: 1 } : decodeToken<PageToken>(skipRaw);
    if (!token) throw new GraphFailure(400, "Request_BadRequest", "Invalid skip token.");
    failIfPageBroken(token.page);
    // Unfiltered listings page the id-ordered list directly: a copy per page would make
    // reading a million users quadratic.
    const matching = filterText?.trim() ? items.filter(filter) : items;
    const { page, next } = pageOf(matching, token, top);
    const extra: Record<string, unknown> = {};
    if (advanced && skipRaw === undefined) extra["@odata.count"] = matching.length;
    if (next) {
      const url = new URL(c.req.url);
      url.searchParams.set("$skiptoken", encodeToken(next));
      extra["@odata.nextLink"] =
        `${c.get("origin")}${url.pathname}?${decodeURIComponent(url.searchParams.toString())}`;
    }
    const context = `${c.get("origin")}/v1.0/$metadata#${contextPath}(${select.join(",")})`;
    return collection(
      context,
      page.map((user) => project(user, select)),
      extra,
    );
  };

  // Before `/users/:idOrUpn` and `/groups/:id`, which would take "delta" for an id.
  app.route("/v1.0", deltaRoutes(options));

  app.get("/v1.0/users", (c) => {
    requireRole(c.get("roles"), CAN_READ_USERS);
    return listUsers(c, c.get("tenant").sortedUsers(), "users");
  });

  app.get("/v1.0/users/:idOrUpn", (c) => {
    requireRole(c.get("roles"), CAN_READ_USERS);
    const key = c.req.param("idOrUpn");
    const tenant = c.get("tenant");
    const user =
      (isGuid(key) ? tenant.getUser(key.toLowerCase()) : undefined) ?? tenant.findUserByUpn(key);
    if (!user) throw notFoundResource(key);
    const select = parseSelect(c.req.query("$select"));
    return c.json({
      "@odata.context": `${c.get("origin")}/v1.0/$metadata#users(${select.join(",")})/$entity`,
      ...project(user, select),
    });
  });

  const findGroup = (tenant: SimTenant, id: string) => {
    if (!isGuid(id))
      throw new GraphFailure(400, "Request_BadRequest", `Invalid object identifier '${id}'.`);
    const group = tenant.groups.get(id.toLowerCase());
    if (!group) throw notFoundResource(id);
    return group;
  };

  /**
   * Lists groups, optionally `$search="displayName:term"`: "tokenized" matching, each word of
   * the name (split at spaces, punctuation and case changes) compared by prefix, case-insensitive;
   * `$search` needs `ConsistencyLevel: eventual`, the value in double quotes
   * (learn.microsoft.com/graph/search-query-parameter#using-search-on-directory-object-collections).
   */
  app.get("/v1.0/groups", (c) => {
    requireRole(c.get("roles"), CAN_READ_GROUPS);
    const raw = c.req.query("$search");
    let matches: (name: string) => boolean = () => true;
    if (raw !== undefined) {
      if (c.req.header("consistencylevel")?.toLowerCase() !== "eventual") {
        throw new GraphFailure(
          400,
          "Request_UnsupportedQuery",
          "Request with $search query parameter only works through MSGraph with a special request header: 'ConsistencyLevel: eventual'",
        );
      }
      const clause = /^"(\w+):((?:[^"\\]|\\.)*)"$/.exec(raw.trim());
      if (!clause) throw new GraphFailure(400, "Request_BadRequest", "Invalid search clause.");
      const [, property, value] = clause as unknown as [string, string, string];
      if (property !== "displayName" && property !== "description" && property !== "mail") {
        throw new GraphFailure(
          400,
          "Request_UnsupportedQuery",
          `Unsupported search property '${property}'.`,
        );
      }
      const term = value.replace(/\\(.)/g, "$1").toLowerCase();
      matches = (name) => searchTokens(name).some((token) => token.startsWith(term));
    }
    const top = parseTop(c.req.query("$top"));
    const groups = [...c.get("tenant").groups.values()]
      .filter((group) => matches(group.displayName))
      .sort((a, b) => (a.id < b.id ? -1 : 1))
      .slice(0, top);
    return collection(
      `${c.get("origin")}/v1.0/$metadata#groups`,
      groups.map((group) => ({
        id: group.id,
        displayName: group.displayName,
        description: group.description,
        mail: null,
        mailNickname: group.mailNickname,
      })),
    );
  });

  /**
   * `checkMemberGroups`: which of up to 20 given groups the user is in, nested membership
   * included (learn.microsoft.com/graph/api/directoryobject-checkmembergroups).
   */
  app.post("/v1.0/users/:id/checkMemberGroups", async (c) => {
    requireRole(c.get("roles"), CAN_READ_USERS);
    requireRole(c.get("roles"), CAN_READ_GROUPS);
    const tenant = c.get("tenant");
    const user = tenant.getUser(c.req.param("id").toLowerCase());
    if (!user) throw notFoundResource(c.req.param("id"));
    const body = (await c.req.json().catch(() => null)) as { groupIds?: unknown } | null;
    const ids = body?.groupIds;
    if (!Array.isArray(ids) || ids.some((id) => typeof id !== "string")) {
      throw new GraphFailure(
        400,
        "Request_BadRequest",
        "groupIds must be a collection of strings.",
      );
    }
    if (ids.length > 20) {
      throw new GraphFailure(
        400,
        "Request_BadRequest",
        "The number of groups in the groupIds parameter exceeds the limit of 20.",
      );
    }
    const value = (ids as string[]).filter((id) =>
      tenant.transitiveMembers(id.toLowerCase()).users.some((member) => member.id === user.id),
    );
    return collection(`${c.get("origin")}/v1.0/$metadata#Collection(Edm.String)`, value);
  });

  app.get("/v1.0/groups/:id", (c) => {
    requireRole(c.get("roles"), CAN_READ_GROUPS);
    const group = findGroup(c.get("tenant"), c.req.param("id"));
    return c.json({
      "@odata.context": `${c.get("origin")}/v1.0/$metadata#groups/$entity`,
      id: group.id,
      displayName: group.displayName,
      description: group.description,
      mailNickname: group.mailNickname,
      securityEnabled: true,
      mailEnabled: false,
      groupTypes: [],
    });
  });

  /**
   * Members (direct) or transitiveMembers (nested groups expanded, each user once).
   * Without User.Read.All, users come back with only `@odata.type` and `id`
   * (the documented "limited information" rule), not as a 403.
   */
  for (const relation of ["members", "transitiveMembers"] as const) {
    const membersOf = (tenant: SimTenant, groupId: string) => {
      if (relation === "transitiveMembers") return tenant.transitiveMembers(groupId);
      const group = tenant.groups.get(groupId);
      const ids = group?.memberIds ?? [];
      const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : 1);
      return {
        users: ids.flatMap((id) => tenant.getUser(id) ?? []).sort(byId),
        groups: ids.flatMap((id) => tenant.groups.get(id) ?? []).sort(byId),
      };
    };

    app.get(`/v1.0/groups/:id/${relation}/microsoft.graph.user`, (c) => {
      requireRole(c.get("roles"), CAN_READ_GROUPS);
      const tenant = c.get("tenant");
      const group = findGroup(tenant, c.req.param("id"));
      const { users } = membersOf(tenant, group.id);
      const limited = !c.get("roles").some((role) => CAN_READ_USERS.includes(role));
      return listUsers(c, limited ? users.map(limitedUser) : users, "users");
    });

    app.get(`/v1.0/groups/:id/${relation}`, (c) => {
      requireRole(c.get("roles"), CAN_READ_GROUPS);
      const tenant = c.get("tenant");
      const group = findGroup(tenant, c.req.param("id"));
      const { users, groups } = membersOf(tenant, group.id);
      const select = parseSelect(c.req.query("$select"));
      const top = parseTop(c.req.query("$top"));
      const skip = c.req.query("$skiptoken");
      const token = skip === undefined ? { after: null, page: 1 } : decodeToken<PageToken>(skip);
      if (!token) throw new GraphFailure(400, "Request_BadRequest", "Invalid skip token.");
      failIfPageBroken(token.page);
      const limited = !c.get("roles").some((role) => CAN_READ_USERS.includes(role));
      const items = [
        ...users.map((user) => ({
          id: user.id,
          body: {
            "@odata.type": "#microsoft.graph.user",
            ...project(limited ? limitedUser(user) : user, select),
          },
        })),
        ...groups.map((child) => ({
          id: child.id,
          body: {
            "@odata.type": "#microsoft.graph.group",
            id: child.id,
            displayName: child.displayName,
          },
        })),
      ].sort((a, b) => (a.id < b.id ? -1 : 1));
      const { page, next } = pageOf(items, token, top);
      const extra: Record<string, unknown> = {};
      if (next) {
        const url = new URL(c.req.url);
        url.searchParams.set("$skiptoken", encodeToken(next));
        extra["@odata.nextLink"] =
          `${c.get("origin")}${url.pathname}?${decodeURIComponent(url.searchParams.toString())}`;
      }
      return collection(
        `${c.get("origin")}/v1.0/$metadata#directoryObjects`,
        page.map((item) => item.body),
        extra,
      );
    });
  }

  app.get("/v1.0/organization", (c) => {
    requireRole(c.get("roles"), CAN_READ_ORG);
    const { info } = c.get("tenant");
    return collection(`${c.get("origin")}/v1.0/$metadata#organization`, [
      {
        id: info.id,
        displayName: info.displayName,
        verifiedDomains: [
          {
            name: info.domain,
            isDefault: true,
            isInitial: false,
            type: "Managed",
            capabilities: "Email, OfficeCommunicationsOnline",
          },
        ],
      },
    ]);
  });

  app.all("/v1.0/*", (c) => {
    const segment = c.req.path.split("/")[2] ?? "";
    throw new GraphFailure(400, "BadRequest", `Resource not found for the segment '${segment}'.`);
  });

  return app;
}

class DroppedConnection extends Error {}

/** The words `$search` compares: split at spaces, punctuation and lower-to-upper case changes. */
function searchTokens(text: string): string[] {
  return text
    .replace(/([a-z])([A-Z])/g, "$1 $2")
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean)
    .map((token) => token.toLowerCase());
}

/** A 200 whose body stops halfway: what a client sees when the connection drops. */
function brokenBody(): Response {
  const stream = new ReadableStream({
    start(controller) {
      controller.enqueue(new TextEncoder().encode('{"value":[{"id":"'));
      // Without a reason the server resets the connection quietly (a reason is printed).
      controller.error();
    },
  });
  return new Response(stream, { headers: { "content-type": JSON_TYPE } });
}

/** A user as seen without permission to read users: only the id survives. */
const limitedUser = (user: SimUser): SimUser =>
  Object.fromEntries(
    Object.entries(user).map(([key, value]) => [
      key,
      key === "id" ? value : Array.isArray(value) ? [] : null,
    ]),
  ) as unknown as SimUser;

export type { UserProperty };
