export { DIRECTORY_SCOPES } from "./client.ts";
export { type GoogleOptions, googleWorkspace } from "./connector.ts";
export { type GoogleSecret, googleSecretSchema, readSecret } from "./secret.ts";
export { GOOGLE_TEMPLATE_FIELDS, type GoogleSettings, googleSettings } from "./settings.ts";
