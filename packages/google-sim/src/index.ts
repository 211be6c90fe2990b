export * from "./faults.ts";
export * from "./generate.ts";
export * from "./model.ts";
export * from "./server.ts";
