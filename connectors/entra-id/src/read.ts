import type { ConnectorLogger, DirectoryUser } from "@roster/connector-kit";
import { ConnectorError } from "@roster/connector-kit";
import { isTransient, resyncOf, toConnectorError } from "./errors.ts";
import type { GraphSession } from "./graph-client.ts";

/** Properties every read needs; alias fields are added on top (Graph returns only `$select`ed ones). */
export const BASE_USER_FIELDS = [
  "id",
  "userPrincipalName",
  "mail",
  "givenName",
  "surname",
  "displayName",
  "accountEnabled",
  "userType",
] as const;

export const PAGE_SIZE = 999;

export type GraphUser = Record<string, unknown> & { id: string };
export type GraphPage<T = GraphUser> = {
  value: T[];
  "@odata.nextLink"?: string;
  "@odata.deltaLink"?: string;
};

const looksLikeAddress = (value: string) => /^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(value);

const text = (value: unknown): string | null =>
  typeof value === "string" && value.trim() !== "" ? value.trim() : null;

/** spec §4.2: `mail`, else a UPN that is an address and not a guest `#EXT#` name. */
export function emailOf(user: GraphUser): string | null {
  const mail = text(user.mail);
  if (mail) return mail;
  const upn = text(user.userPrincipalName);
  return upn && looksLikeAddress(upn) && !upn.toUpperCase().includes("#EXT#") ? upn : null;
}

export function toDirectoryUser(user: GraphUser, fields: readonly string[]): DirectoryUser {
  return {
    externalId: user.id,
    email: emailOf(user),
    givenName: text(user.givenName),
    surname: text(user.surname),
    displayName: text(user.displayName),
    // `accountEnabled` may be null on old or system accounts: only an explicit false disables.
    enabled: user.accountEnabled !== false,
    attributes: Object.fromEntries(fields.map((field) => [field, text(user[field])])),
  };
}

export type PageReader = {
  session: GraphSession;
  log: ConnectorLogger;
  signal?: AbortSignal;
  /** The permission a 403 on this read points to. */
  permission: string;
  /** Extra tries for a page that failed with a server or network error. */
  pageAttempts?: number;
  pageRetryDelayMs?: number;
};

/** Follows `@odata.nextLink` page by page; each page is yielded before the next is asked for. */
export async function* readPages(
  reader: PageReader,
  firstRequest: string,
  headers: Record<string, string> = {},
): AsyncGenerator<GraphUser[]> {
  let url: string | undefined = firstRequest;
  let page = 0;
  while (url) {
    if (reader.signal?.aborted) throw new ConnectorError("aborted", "The read was stopped.");
    page += 1;
    const body: GraphPage = await getWithRetries(reader, url, headers, page);
    yield body.value;
    url = body["@odata.nextLink"];
  }
}

/** One page, with the SDK's 429/503/504 retries (Retry-After) and a few more for 500s and resets. */
export async function getWithRetries<T = GraphUser>(
  reader: PageReader,
  url: string,
  headers: Record<string, string>,
  page: number,
): Promise<GraphPage<T>> {
  const attempts = reader.pageAttempts ?? 3;
  for (let attempt = 1; ; attempt += 1) {
    try {
      return (await reader.session.client
        .api(url)
        .headers(headers)
        .middlewareOptions([reader.session.retry])
        .get()) as GraphPage<T>;
    } catch (error) {
      const resync = resyncOf(error);
      if (resync) throw resync;
      // The SDK already retried 429/503/504; a 500 or a dropped connection gets a few more tries.
      if (attempt >= attempts || !isTransient(error))
        throw toConnectorError(error, reader.permission);
      reader.log.warn("graph page failed, retrying", { page, attempt, status: statusOf(error) });
      await Bun.sleep((reader.pageRetryDelayMs ?? 1000) * attempt);
    }
  }
}

const statusOf = (error: unknown) =>
  typeof error === "object" && error !== null && "statusCode" in error
    ? error.statusCode
    : undefined;
