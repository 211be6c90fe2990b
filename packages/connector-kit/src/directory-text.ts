/**
 * Directory text is hostile input: whatever a directory returns is made safe here, at the
 * kit boundary, before the engine, the database or an email sees it. Every string is made
 * well-formed UTF-16 (a lone surrogate such as `\ud800` becomes U+FFFD: SQLite's JSON
 * decoder would store it as invalid UTF-8, and reading that row back aborts libsql), loses
 * its control characters (NUL included) and is capped in length.
 */
import type { ChangeStream } from "./changes.ts";
import type { ConnectorLogger, DirectoryGroup, DirectoryUser, GroupMatch } from "./connector.ts";

/** Longest given name, surname or display name kept, in code points. */
export const MAX_NAME_LENGTH = 256;
/** Longest email kept: RFC 5321's 64-octet local part + `@` + 255-octet domain. */
export const MAX_EMAIL_LENGTH = 320;
/** Longest alias (a template may join several attributes and text). */
export const MAX_ALIAS_LENGTH = 256;
/** Longest alias-template attribute, directory id or group name kept. */
export const MAX_ATTRIBUTE_LENGTH = 256;

// C0 controls (NUL included), DEL and C1 controls: no name, address or id needs them, and a
// CR/LF in a name would reach email subjects.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/g;
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const HAS_CONTROL_CHARACTER = /[\u0000-\u001f\u007f-\u009f]/;

/** Cuts `text` to `max` code points, never between the halves of a surrogate pair. */
export function capLength(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = 0;
  let points = 0;
  while (end < text.length && points < max) {
    const code = text.codePointAt(end) as number;
    end += code > 0xffff ? 2 : 1;
    points += 1;
  }
  return text.slice(0, end);
}

/** Well-formed, without control characters, trimmed and capped. Empty becomes `null`. */
export function cleanText(value: string | null | undefined, max: number): string | null {
  if (value === null || value === undefined) return null;
  const clean = capLength(String(value).toWellFormed().replace(CONTROL_CHARACTERS, "").trim(), max);
  return clean === "" ? null : clean;
}

// One addr-spec (RFC 5322 §3.4.1, the dot-atom form Entra and Google accept): no spaces,
// no display name (`Ann <a@b.c>`), no list (`a@b.c, d@e.f`), no quoted or bracketed parts,
// and a domain of dot-separated labels. Letters beyond ASCII are allowed (EAI, RFC 6531).
const ATOM = '[^\\s@"(),.:;<>[\\\\\\]]+';
const LABEL = "[^\\s@\"(),.:;<>[\\\\\\]_!#$%&'*+/=?^`{|}~]+";
const ONE_ADDRESS = new RegExp(`^${ATOM}(?:\\.${ATOM})*@${LABEL}(?:\\.${LABEL})+$`, "u");

/**
 * The address itself if `value` is exactly one email address, else `null`. Checked on the
 * raw value: an address with a CR, LF or any control character is refused, not repaired.
 */
export function singleEmailAddress(value: string | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  const address = value.trim();
  if (address.length > MAX_EMAIL_LENGTH || !address.isWellFormed()) return null;
  if (HAS_CONTROL_CHARACTER.test(address)) return null;
  const local = address.slice(0, address.lastIndexOf("@"));
  if (local.length > 64) return null;
  return ONE_ADDRESS.test(address) ? address : null;
}

/**
 * A directory user with every string made safe; an email that is not one address is `null`,
 * flagged `emailRefused` so the user fails with that reason instead of "no email".
 */
export function cleanDirectoryUser(user: DirectoryUser): DirectoryUser {
  const attributes: Record<string, string | null> = {};
  for (const [field, value] of Object.entries(user.attributes)) {
    attributes[field] = cleanText(value, MAX_ATTRIBUTE_LENGTH);
  }
  const email = singleEmailAddress(user.email);
  return {
    externalId: cleanText(user.externalId, MAX_ATTRIBUTE_LENGTH) ?? "",
    email,
    ...(user.email && email === null ? { emailRefused: true as const } : {}),
    givenName: cleanText(user.givenName, MAX_NAME_LENGTH),
    surname: cleanText(user.surname, MAX_NAME_LENGTH),
    displayName: cleanText(user.displayName, MAX_NAME_LENGTH),
    enabled: user.enabled !== false,
    attributes,
  };
}

export function cleanDirectoryGroup(group: DirectoryGroup): DirectoryGroup {
  return {
    externalId: cleanText(group.externalId, MAX_ATTRIBUTE_LENGTH) ?? "",
    name: cleanText(group.name, MAX_NAME_LENGTH) ?? "",
    memberIds: group.memberIds.map((id) => cleanText(id, MAX_ATTRIBUTE_LENGTH) ?? ""),
  };
}

export function cleanGroupMatch(group: GroupMatch): GroupMatch {
  return {
    externalId: cleanText(group.externalId, MAX_ATTRIBUTE_LENGTH) ?? "",
    name: cleanText(group.name, MAX_NAME_LENGTH) ?? "",
    detail: cleanText(group.detail, MAX_NAME_LENGTH),
  };
}

/** Cleans one page of users; logs (without the value) each refused email. */
function cleanPage(page: readonly DirectoryUser[], log: ConnectorLogger): DirectoryUser[] {
  return page.map((user) => {
    const clean = cleanDirectoryUser(user);
    if (clean.emailRefused) {
      log.warn("directory email is not one valid address; the user fails with invalid_email", {
        externalId: clean.externalId,
      });
    }
    return clean;
  });
}

/** Cleans each page as the connector yields it. */
export async function* cleanUserPages(
  pages: AsyncIterable<DirectoryUser[]>,
  log: ConnectorLogger,
): AsyncGenerator<DirectoryUser[]> {
  for await (const page of pages) yield cleanPage(page, log);
}

/** Cleans each page of changes; the stream's return value (the next cursor) passes through. */
export async function* cleanChangePages(stream: ChangeStream, log: ConnectorLogger): ChangeStream {
  for (;;) {
    const next = await stream.next();
    if (next.done) return next.value;
    yield {
      upserted: cleanPage(next.value.upserted, log),
      removed: next.value.removed.map((removal) => ({
        ...removal,
        externalId: cleanText(removal.externalId, MAX_ATTRIBUTE_LENGTH) ?? "",
      })),
    };
  }
}
