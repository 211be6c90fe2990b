export * from "./execute.ts";
export * from "./handoff.ts";
export * from "./lease.ts";
export * from "./notify.ts";
export * from "./preview.ts";
export * from "./tracker.ts";
export * from "./views.ts";
