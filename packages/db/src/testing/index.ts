export * from "./sqld.ts";
export * from "./test-database.ts";
