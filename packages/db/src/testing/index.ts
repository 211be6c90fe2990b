export * from "./sqld.ts";
export * from "./temp-dir.ts";
export * from "./test-database.ts";
