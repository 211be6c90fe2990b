export { DEFAULT_CERT_DIR, ensureCertificate } from "./certs.ts";
export * from "./churn.ts";
export * from "./faults.ts";
export * from "./generate.ts";
export { USER_PROPERTIES } from "./graph/odata.ts";
export * from "./model.ts";
export * from "./server.ts";
