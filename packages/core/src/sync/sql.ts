import type { InStatement, InValue } from "@libsql/client";

/** SQLite allows 32,766 bound values per statement; stay well below with room for wide rows. */
const MAX_VALUES_PER_STATEMENT = 8000;

/**
 * Multi-row `INSERT`s for `rows`, split so no statement binds too many values. Measured:
 * a few hundred rows per statement is ~8× faster than one statement per row.
 */
export function insertRows(
  table: string,
  columns: readonly string[],
  rows: readonly InValue[][],
  suffix = "",
): InStatement[] {
  const perStatement = Math.max(1, Math.floor(MAX_VALUES_PER_STATEMENT / columns.length));
  const placeholders = `(${columns.map(() => "?").join(", ")})`;
  const statements: InStatement[] = [];
  for (let start = 0; start < rows.length; start += perStatement) {
    const chunk = rows.slice(start, start + perStatement);
    statements.push({
      sql: `insert into ${table} (${columns.map((column) => `"${column}"`).join(", ")}) values ${chunk.map(() => placeholders).join(", ")} ${suffix}`,
      args: chunk.flat(),
    });
  }
  return statements;
}

/** `where column in (…)` over many ids, chunked like `insertRows`. */
export function forIds(
  ids: readonly string[],
  build: (placeholders: string, chunk: string[]) => InStatement,
): InStatement[] {
  const statements: InStatement[] = [];
  for (let start = 0; start < ids.length; start += MAX_VALUES_PER_STATEMENT) {
    const chunk = ids.slice(start, start + MAX_VALUES_PER_STATEMENT);
    statements.push(build(chunk.map(() => "?").join(", "), chunk));
  }
  return statements;
}
