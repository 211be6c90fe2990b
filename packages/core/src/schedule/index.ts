export * from "./due.ts";
