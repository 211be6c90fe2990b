export * from "./expiry.ts";
export * from "./manage.ts";
export * from "./views.ts";
