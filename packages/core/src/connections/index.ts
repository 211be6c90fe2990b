export * from "./directory-tools.ts";
export * from "./exclusive.ts";
export * from "./expiry.ts";
export * from "./manage.ts";
export * from "./views.ts";
