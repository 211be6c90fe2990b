import { type SQL, sql } from "drizzle-orm";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";
import { DomainError } from "./errors.ts";

/** A position in a list ordered by (time, id): opaque to clients, stable under inserts. */
export type Cursor = { at: number; id: string };

export const encodeCursor = (cursor: Cursor): string =>
  Buffer.from(JSON.stringify([cursor.at, cursor.id])).toString("base64url");

export function decodeCursor(raw: string | undefined): Cursor | null {
  if (!raw) return null;
  try {
    const [at, id] = JSON.parse(Buffer.from(raw, "base64url").toString("utf8")) as [
      unknown,
      unknown,
    ];
    // JSON.parse reads 1e999 as Infinity, which no Date can hold (it was a 500).
    if (Number.isSafeInteger(at) && typeof id === "string" && id.length <= 64) {
      return { at: at as number, id };
    }
  } catch {
    // fall through to the error below
  }
  throw new DomainError("validation_failed", "The cursor is not valid; start again without it.", [
    { path: ["cursor"], message: "Invalid cursor" },
  ]);
}

export type Page<T> = { items: T[]; nextCursor: string | null };

/** Cuts a fetched `limit + 1` rows into a page and the cursor of the next one. */
export function toPage<R, T>(
  rows: R[],
  limit: number,
  position: (row: R) => Cursor,
  view: (row: R) => T,
): Page<T> {
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return {
    items: items.map(view),
    nextCursor: rows.length > limit && last !== undefined ? encodeCursor(position(last)) : null,
  };
}

export const iso = (date: Date | null | undefined): string | null =>
  date ? date.toISOString() : null;

/** The rows after `cursor` in (time, id) order — a keyset condition for the next page. */
export function afterCursor(
  cursor: Cursor | null,
  at: SQLiteColumn,
  id: SQLiteColumn,
  order: "asc" | "desc",
): SQL | undefined {
  if (!cursor) return undefined;
  // A row-value comparison lets SQLite seek the (time, id) index instead of scanning.
  return order === "asc"
    ? sql`(${at}, ${id}) > (${cursor.at}, ${cursor.id})`
    : sql`(${at}, ${id}) < (${cursor.at}, ${cursor.id})`;
}
