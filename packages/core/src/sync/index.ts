export * from "../rules/aliases.ts";
export * from "../rules/names.ts";
export * from "./synchronize.ts";
export { emptyCounts } from "./tally.ts";
