const STORAGE_FAILURE =
  /SQLITE_(FULL|READONLY|IOERR|CANTOPEN|CORRUPT|NOTADB)|disk is full|readonly database/i;

/** The database refuses every write alike (full disk, read-only or broken file). */
export const isStorageFailure = (error: unknown) =>
  STORAGE_FAILURE.test(
    error instanceof Error
      ? `${error.message} ${String((error as { code?: unknown }).code ?? "")}`
      : String(error),
  );

/** The database refused writes: the run ends failed with this reason. */
export class StorageError extends Error {
  constructor(cause: unknown) {
    super(
      `The database refused writes (${cause instanceof Error ? cause.message.split("\n")[0] : String(cause)}). Nothing more was written; free disk space or fix the file's permissions, then run again.`,
    );
    this.name = "StorageError";
  }
}
