export * from "./alias-template.ts";
export * from "./connector.ts";
export * from "./errors.ts";
export * from "./registry.ts";
export * from "./sign-in.ts";
export * from "./sync-options.ts";
