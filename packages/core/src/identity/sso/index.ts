export * from "./directory-sign-in.ts";
export * from "./failures.ts";
export { SIGN_IN_TRANSACTION_TTL_MS } from "./transactions.ts";
