import { ResyncRequiredError } from "@roster/connector-kit";

/**
 * What the Entra connector keeps between incremental reads, sealed into one opaque string
 * (gzip + base64url; the engine encrypts it at rest). Selected-groups scope carries the tree
 * of direct memberships of every tracked group, because `members@delta` reports only direct
 * membership changes and transitive scope must be recomputed from the whole tree.
 */
export type GroupBatch = {
  /** At most 50 group ids: the `$filter=id eq …` of one groups/delta query. */
  ids: string[];
  /** Its `@odata.deltaLink`. */
  link: string;
};

/** Direct members of one group: user ids and nested group ids. */
export type GroupNode = { users: string[]; groups: string[] };

export type CursorState = {
  v: 1;
  /** `$select` of the users/delta round: the cursor is only valid for the same fields. */
  select: string;
  /** users/delta `@odata.deltaLink` (every user of the tenant). */
  users: string;
  issuedAt: number;
} & (
  | { scope: "all" }
  | {
      scope: "groups";
      /** The selected group ids, sorted. */
      selected: string[];
      batches: GroupBatch[];
      tree: Record<string, GroupNode>;
    }
);

const PREFIX = "entra1.";

export function sealCursor(state: CursorState): string {
  const json = new TextEncoder().encode(JSON.stringify(state));
  return PREFIX + Buffer.from(Bun.gzipSync(json)).toString("base64url");
}

export function openCursor(cursor: string): CursorState {
  const invalid = () =>
    new ResyncRequiredError(
      "cursor_invalid",
      "The stored change cursor cannot be read; every user is read again.",
    );
  if (!cursor.startsWith(PREFIX)) throw invalid();
  try {
    const json = Bun.gunzipSync(Buffer.from(cursor.slice(PREFIX.length), "base64url"));
    const state = JSON.parse(new TextDecoder().decode(json)) as CursorState;
    if (state.v !== 1 || typeof state.users !== "string") throw invalid();
    return state;
  } catch {
    throw invalid();
  }
}
