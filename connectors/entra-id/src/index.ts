export { type EntraOptions, entraId } from "./connector.ts";
export { emailOf } from "./read.ts";
export { type EntraSettings, entraSettings, GRAPH_USER_STRING_FIELDS } from "./settings.ts";
export { entraSignIn } from "./sign-in.ts";
