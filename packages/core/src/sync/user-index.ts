import type { Client } from "@libsql/client";
import { type NewPin, pinCandidates } from "../rules/pin.ts";
import { letRequestsIn } from "./event-loop.ts";
import {
  aliasOwners,
  heldPinHashes,
  type JsonQuery,
  jsonQueryOf,
  pinCountOf,
  type UserChunk,
  userChunks,
  usersMatching,
} from "./store/user-chunks.ts";

/** What matching needs to know about one application user. */
export type KnownUser = {
  id: string;
  email: string;
  firstName: string;
  lastName: string;
  tags: readonly string[];
  connectionId: string | null;
  externalId: string | null;
  deleted: boolean;
  aliases: string[];
  /** Holds a permission-granting role (before this run). */
  privileged: boolean;
  /** Can sign in with a password (before this run). */
  hasPassword: boolean;
};

/**
 * The tenant's users as matching sees them, loaded in a few bulk queries at the start of a
 * run (no per-user SELECT in the hot path). The planner updates it as it decides, so a
 * later directory user sees the emails, aliases and PINs an earlier one claimed.
 */
export class UserIndex {
  /** Users of this connection by directory object id. */
  readonly byExternalId = new Map<string, KnownUser>();
  /** Every user of the tenant (soft-deleted included) by lower-cased email. */
  readonly byEmail = new Map<string, KnownUser>();
  /** Lower-cased alias → the user holding it. */
  readonly aliasOwner = new Map<string, string>();
  readonly pinHashes = new Set<string>();

  /** Most users share one tags value: one frozen array for each value, not one per user. */
  private readonly tagLists = new Map<string, readonly string[]>();
  /** All the tenant's PIN hashes are in `pinHashes` (a run reading changes has only some). */
  private pinsLoaded = false;
  /**
   * For a run reading changes: PINs drawn ahead and checked unused in the database, enough
   * for the creates and restores of the page about to be planned (see `addMatching`).
   */
  private readonly reservedPins: NewPin[] = [];
  /** How many PINs the tenant holds, counted once by a run reading changes (for the length). */
  private tenantPins: number | null = null;
  /** Ids of the users already in the index (a run reading changes adds them page by page). */
  private readonly loadedIds = new Set<string>();

  /** The whole tenant, for a run that reads the whole directory. */
  static async load(
    source: Client | JsonQuery,
    tenantId: string,
    connectionId: string,
    chunkUsers = LOAD_CHUNK_USERS,
  ): Promise<UserIndex> {
    const index = new UserIndex();
    const query = typeof source === "function" ? source : jsonQueryOf(source);
    for await (const chunk of userChunks(query, tenantId, chunkUsers)) {
      index.add(chunk, connectionId, false);
      // The local driver runs queries synchronously: let requests in between chunks.
      await letRequestsIn();
    }
    index.pinsLoaded = true;
    return index;
  }

  /**
   * For a run that reads only changes: adds the users a page of changes can match (by
   * directory id or email) and the holders of the aliases it wants, and reserves a PIN for
   * each user it may create or restore, checked unused against the tenant's PIN index.
   * Never the whole tenant (its users or its PIN hashes) for a small change set.
   */
  async addMatching(
    client: Client,
    tenantId: string,
    connectionId: string,
    keys: { externalIds: string[]; emails: string[]; aliases: string[] },
    pinsNeeded: () => number,
    hashPin: (pin: string) => string,
  ): Promise<void> {
    if (keys.externalIds.length + keys.emails.length > 0) {
      const chunk = await usersMatching(client, tenantId, connectionId, keys);
      this.add(chunk, connectionId, true);
    }
    for (const [alias, userId] of await aliasOwners(client, tenantId, keys.aliases)) {
      if (!this.aliasOwner.has(alias)) this.aliasOwner.set(alias, userId);
    }
    const needed = this.pinsLoaded ? 0 : pinsNeeded() - this.reservedPins.length;
    if (needed > 0) await this.reservePins(client, tenantId, needed, hashPin);
  }

  private async reservePins(
    client: Client,
    tenantId: string,
    count: number,
    hashPin: (pin: string) => string,
  ): Promise<void> {
    this.tenantPins ??= await pinCountOf(client, tenantId);
    while (this.reservedPins.length < count) {
      const wanted = count - this.reservedPins.length;
      const candidates = pinCandidates(wanted, this.tenantPins, this.pinHashes, hashPin);
      const held = await heldPinHashes(
        client,
        tenantId,
        candidates.map((pin) => pin.hash),
      );
      for (const candidate of candidates) {
        this.pinHashes.add(candidate.hash);
        if (held.has(candidate.hash)) continue;
        this.reservedPins.push(candidate);
        this.tenantPins += 1;
      }
    }
  }

  /** A PIN reserved by `addMatching`, if any (a run reading everything draws from `pinHashes`). */
  takeReservedPin(): NewPin | undefined {
    return this.reservedPins.pop();
  }

  /** Adds loaded users (once each: a user the run already changed keeps its new state). */
  private add(chunk: UserChunk, connectionId: string, skipKnown: boolean): void {
    // Aliases attach through a map of this chunk only: a tenant-wide one would cost a
    // million inserts at a million users.
    const byId = new Map<string, KnownUser>();
    for (const [
      id,
      email,
      firstName,
      lastName,
      tags,
      connection,
      externalId,
      deleted,
      pinHash,
      ,
      hasPassword,
      privileged,
    ] of chunk.users) {
      if (skipKnown && this.loadedIds.has(id)) continue;
      if (skipKnown) this.loadedIds.add(id);
      const user: KnownUser = {
        id,
        email,
        firstName,
        lastName,
        tags: tagList(this.tagLists, tags),
        connectionId: connection,
        externalId,
        deleted: deleted === 1,
        aliases: [],
        privileged: privileged === 1,
        hasPassword: hasPassword === 1,
      };
      this.put(user, connectionId);
      byId.set(id, user);
      if (pinHash !== null) this.pinHashes.add(pinHash);
    }
    for (const [userId, alias] of chunk.aliases) {
      const user = byId.get(userId);
      if (!user) continue;
      this.aliasOwner.set(alias.toLowerCase(), userId);
      user.aliases.push(alias);
    }
  }

  put(user: KnownUser, connectionId: string): void {
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

/**
 * Users read per query. The local driver holds the event loop for each query; between them
 * the API answers. Measured at 100k users: loading in one go stalled it 0.5 s, in chunks of
 * 5,000 at most ~60 ms (garbage collection included), for ~10 % more load time.
 */
const LOAD_CHUNK_USERS = 5_000;

function tagList(lists: Map<string, readonly string[]>, json: string): readonly string[] {
  let list = lists.get(json);
  if (!list) {
    list = Object.freeze(JSON.parse(json) as string[]);
    lists.set(json, list);
  }
  return list;
}
