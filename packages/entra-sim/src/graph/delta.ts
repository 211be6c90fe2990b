import { Hono } from "hono";
import { GraphFailure } from "../errors.ts";
import type { SimUser } from "../model.ts";
import {
  decodeToken,
  encodeToken,
  parseSelect,
  projectForDelta,
  type UserProperty,
} from "./odata.ts";
import { collection, type GraphEnv, type GraphOptions, requireRole } from "./routes.ts";

/**
 * `GET /users/delta` (learn.microsoft.com/graph/delta-query-overview, /graph/api/user-delta):
 * query options only on the first request, later links carry only `$skiptoken` or
 * `$deltatoken`; removed users come back as `{id, "@removed": {reason}}`; delta tokens
 * last 7 days; an unknown or expired token asks the client to start over.
 */
const TOKEN_LIFETIME_MS = 7 * 24 * 3600 * 1000;
const DEFAULT_PAGE_SIZE = 100;

type Round = { ids: string[]; removed: string[]; select: UserProperty[]; targetVersion: number };
type SkipToken = { round: string; offset: number };
type DeltaToken = { version: number; select: UserProperty[]; tenant: string; issuedAt: number };

export function deltaRoutes(_options: GraphOptions) {
  const app = new Hono<GraphEnv>();
  const rounds = new Map<string, Round>();

  app.get("/", (c) => {
    requireRole(c.get("roles"), [
      "User.Read.All",
      "User.ReadWrite.All",
      "Directory.Read.All",
      "Directory.ReadWrite.All",
    ]);
    const tenant = c.get("tenant");
    const origin = c.get("origin");
    const pageSize = Number(
      /odata\.maxpagesize=(\d+)/.exec(c.req.header("prefer") ?? "")?.[1] ?? DEFAULT_PAGE_SIZE,
    );
    const skipRaw = c.req.query("$skiptoken");
    const deltaRaw = c.req.query("$deltatoken");
    const resync = () =>
      new GraphFailure(
        410,
        "syncStateNotFound",
        "The sync state generation is not found. The delta token is expired and data must be synchronized again.",
        {
          location: `${origin}/v1.0/users/delta`,
        },
      );

    let roundId: string;
    let offset = 0;
    if (skipRaw !== undefined) {
      const token = decodeToken<SkipToken>(skipRaw);
      if (!token || !rounds.has(token.round)) throw resync();
      roundId = token.round;
      offset = token.offset;
    } else {
      roundId = crypto.randomUUID();
      if (deltaRaw === "latest") {
        rounds.set(roundId, {
          ids: [],
          removed: [],
          select: parseSelect(c.req.query("$select")),
          targetVersion: tenant.currentVersion,
        });
      } else if (deltaRaw !== undefined) {
        const token = decodeToken<DeltaToken>(deltaRaw);
        const valid =
          token &&
          token.tenant === tenant.info.id &&
          Date.now() - token.issuedAt < TOKEN_LIFETIME_MS;
        if (!valid) throw resync();
        const { changed, removed } = tenant.changesSince(token.version);
        rounds.set(roundId, {
          ids: changed,
          removed,
          select: token.select,
          targetVersion: tenant.currentVersion,
        });
      } else {
        const ids = tenant.sortedUsers().map((user) => user.id);
        rounds.set(roundId, {
          ids,
          removed: [],
          select: parseSelect(c.req.query("$select")),
          targetVersion: tenant.currentVersion,
        });
      }
    }

    const round = rounds.get(roundId) as Round;
    const entries: Array<{ id: string; removed: boolean }> = [
      ...round.ids.map((id) => ({ id, removed: false })),
      ...round.removed.map((id) => ({ id, removed: true })),
    ];
    const slice = entries.slice(offset, offset + pageSize);
    const value = slice.map(({ id, removed }) => {
      const user: SimUser | undefined = removed ? undefined : tenant.getUser(id);
      // A user deleted while the round was being paged is reported as removed.
      return user ? projectForDelta(user, round.select) : { id, "@removed": { reason: "changed" } };
    });
    const context = `${origin}/v1.0/$metadata#users(${round.select.join(",")})`;
    if (offset + pageSize < entries.length) {
      const next = encodeToken({ round: roundId, offset: offset + pageSize } satisfies SkipToken);
      return collection(context, value, {
        "@odata.nextLink": `${origin}/v1.0/users/delta?$skiptoken=${next}`,
      });
    }
    rounds.delete(roundId);
    const delta = encodeToken({
      version: round.targetVersion,
      select: round.select,
      tenant: tenant.info.id,
      issuedAt: Date.now(),
    } satisfies DeltaToken);
    return collection(context, value, {
      "@odata.deltaLink": `${origin}/v1.0/users/delta?$deltatoken=${delta}`,
    });
  });

  return app;
}
