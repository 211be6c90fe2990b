const ALPHABET = "0123456789abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ";

export type IdPrefix =
  | "ten"
  | "usr"
  | "rol"
  | "ses"
  | "con"
  | "run"
  | "iss"
  | "grp"
  | "ntf"
  | "eml";

/** A prefixed random id (`usr_3kT…`): logs read better and a wrong-table id is obvious. */
export function newId(prefix: IdPrefix): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  let body = "";
  for (const byte of bytes) body += ALPHABET[byte % ALPHABET.length];
  return `${prefix}_${body}`;
}
