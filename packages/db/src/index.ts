export * from "./busy.ts";
export * from "./client.ts";
export * from "./errors.ts";
export * from "./ids.ts";
export * from "./migrate.ts";
export * from "./page-cache.ts";
export * from "./page-writer.ts";
export * from "./schema/index.ts";
