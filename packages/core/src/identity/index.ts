export * from "./groups.ts";
export * from "./notifications.ts";
export * from "./password-policy.ts";
export * from "./role-assignment.ts";
export * from "./sessions.ts";
export * from "./tenants.ts";
export * from "./users.ts";
export * from "./views.ts";
