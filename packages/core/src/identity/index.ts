export * from "./groups.ts";
export * from "./notifications.ts";
export * from "./sessions.ts";
export * from "./sso/index.ts";
export * from "./tenants.ts";
export * from "./users.ts";
export * from "./views.ts";
