export * from "./render.ts";
export * from "./templates.ts";
export * from "./transport.ts";
