import type { DirectoryUser } from "@roster/connector-kit";

export type Names = { firstName: string; lastName: string };

/**
 * First and last name per spec §5: `givenName`/`surname`; when either is missing and the
 * option allows, from the display name (`Last, First`; else the last word is the last name;
 * a single word is both). `null` means the user cannot be named.
 */
export function deriveNames(user: DirectoryUser, allowDisplayName: boolean): Names | null {
  if (user.givenName && user.surname) return { firstName: user.givenName, lastName: user.surname };
  if (!allowDisplayName || !user.displayName) return null;
  const display = user.displayName.trim().replace(/\s+/g, " ");
  const comma = display.indexOf(",");
  if (comma >= 0) {
    const last = display.slice(0, comma).trim();
    const first = display.slice(comma + 1).trim();
    if (first && last) return { firstName: first, lastName: last };
    const only = first || last;
    return only ? { firstName: only, lastName: only } : null;
  }
  const words = display.split(" ");
  if (words.length === 1) return { firstName: display, lastName: display };
  return { firstName: words.slice(0, -1).join(" "), lastName: words.at(-1) as string };
}
