export * from "./aliases.ts";
export * from "./names.ts";
export * from "./synchronize.ts";
