/** The permissions the product knows (spec §1). */
export const PERMISSIONS = {
  users: "Pages.Administration.Users",
  userSync: "Pages.Administration.UserSync",
} as const;

export type Permission = (typeof PERMISSIONS)[keyof typeof PERMISSIONS];

export const ALL_PERMISSIONS: readonly Permission[] = Object.values(PERMISSIONS);

/** Built-in roles every tenant gets: Administrator holds every permission, User none. */
export const BUILT_IN_ROLES = [
  { name: "Administrator", permissions: ALL_PERMISSIONS },
  { name: "User", permissions: [] },
] as const;

export const SYNCED_USER_TAG = "AD synced";
