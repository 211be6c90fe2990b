export * from "./claim.ts";
export * from "./dispatcher.ts";
export * from "./dispatcher-thread.ts";
export * from "./list.ts";
export * from "./pacing.ts";
export * from "./run-emails.ts";
