import type { admin_directory_v1 } from "@googleapis/admin";
import {
  CONNECT_ERROR_CODES,
  type Connector,
  ConnectorError,
  type ConnectResult,
  type DirectoryGroup,
  type DirectoryUser,
  defineConnector,
  type GroupMatch,
  type Input,
  MAX_GROUP_MATCHES,
  type SingleUser,
} from "@roster/connector-kit";
import {
  GOOGLE_TOKEN_URL,
  type GoogleHosts,
  openDirectory,
  type TransientRetry,
} from "./client.ts";
import { asConnectCode, classify, isNotFound, isUnknownOrgUnit, statusOf } from "./errors.ts";
import {
  type BackoffPolicy,
  type CallContext,
  call,
  DEFAULT_BACKOFF,
  listUsers,
  toDirectoryUser,
  transitiveUserIds,
} from "./read.ts";
import { googleSecretSchema, readSecret } from "./secret.ts";
import {
  customSchemaFields,
  GOOGLE_TEMPLATE_FIELDS,
  type GoogleSettings,
  googleSettings,
} from "./settings.ts";
import { googleSignIn } from "./sign-in.ts";

export type GoogleOptions = Partial<GoogleHosts> & {
  /** Backoff for 403 rate limits (gaxios does not retry them). */
  backoff?: Partial<BackoffPolicy>;
  /** gaxios' own retries of 5xx/429 and dropped connections (default: its 3, exponential). */
  transientRetry?: TransientRetry;
};

/** Google Workspace through the Admin SDK Directory API, as a delegated administrator. */
export function googleWorkspace(options: GoogleOptions = {}): Connector<typeof googleSettings> {
  const hosts: GoogleHosts = {
    tokenUrl: options.tokenUrl ?? GOOGLE_TOKEN_URL,
    directoryUrl: options.directoryUrl ?? "https://admin.googleapis.com/",
    issuerUrl: (options.issuerUrl ?? "https://accounts.google.com").replace(/\/$/, ""),
  };
  const backoff: BackoffPolicy = { ...DEFAULT_BACKOFF, ...options.backoff };

  /** The Directory client and the call context of one operation; a bad secret throws. */
  const session = (input: Input<GoogleSettings>) => {
    let secret: ReturnType<typeof readSecret>;
    try {
      secret = readSecret(input.secret);
    } catch (error) {
      throw new ConnectorError(
        "invalid_secret",
        `The saved service account key cannot be used: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    const context: CallContext = {
      log: input.log,
      signal: input.signal,
      backoff,
      adminEmail: input.settings.adminEmail,
      clientId: secret.serviceAccountKey.client_id,
    };
    const { directory } = openDirectory(
      hosts,
      secret,
      input.settings.adminEmail,
      options.transientRetry,
    );
    return { directory, context, secret };
  };

  /** Resolves a group email or id to the group; a missing one is `group_not_found`. */
  const getGroup = async (
    context: CallContext,
    directory: admin_directory_v1.Admin,
    key: string,
  ): Promise<admin_directory_v1.Schema$Group> =>
    call(context, "groups.get", () => directory.groups.get({ groupKey: key }));

  return defineConnector({
    type: "google",
    displayName: "Google Workspace",
    status: "available",
    signIn: "google",
    settings: googleSettings,
    secret: {
      label:
        'Service account key (JSON), or {"serviceAccountKey": …, "signInClientSecret": "…"} for Sign in with Google',
      schema: googleSecretSchema,
    },
    templateFields: GOOGLE_TEMPLATE_FIELDS,
    selectedGroupIds: (settings) => settings.groups,
    signInProvider: googleSignIn(hosts.issuerUrl),

    async connect(input): Promise<ConnectResult> {
      let opened: ReturnType<typeof session>;
      try {
        opened = session(input);
      } catch (error) {
        return failure(error);
      }
      const { directory, context, secret } = opened;
      const { settings } = input;
      const probe = (query?: string) =>
        directory.users.list({
          customer: settings.customerId,
          maxResults: 1,
          ...(query ? { query } : {}),
        });
      try {
        // Signs in as the administrator and proves the user scope in one small call.
        await call(context, "users.list", () => probe());
      } catch (error) {
        return failure(await refineForbidden(error, settings, directory));
      }
      const missingUnits: string[] = [];
      if (settings.users === "orgUnits") {
        for (const path of settings.orgUnits) {
          try {
            await call(context, "users.list", () => probe(`orgUnitPath='${path}'`));
          } catch (error) {
            if (isUnknownOrgUnit(error)) missingUnits.push(path);
            else return failure(error);
          }
        }
      }
      const missingGroups: string[] = [];
      for (const key of settings.groups) {
        try {
          await getGroup(context, directory, key);
        } catch (error) {
          if (isNotFound(error)) missingGroups.push(key);
          else return failure(error);
        }
      }
      if (missingUnits.length > 0 || missingGroups.length > 0) {
        const parts = [
          missingGroups.length > 0 ? `no group ${missingGroups.join(", ")}` : "",
          missingUnits.length > 0 ? `no org unit ${missingUnits.join(", ")}` : "",
        ].filter(Boolean);
        return {
          ok: false,
          code: "group_not_found",
          message: `The Workspace has ${parts.join(" and ")}.`,
          details: { ids: missingGroups, orgUnits: missingUnits },
        };
      }
      if (settings.signInClientId) {
        const signIn = await checkSignInClient(
          hosts,
          settings.signInClientId,
          secret.signInClientSecret,
        );
        if (signIn) return signIn;
      }
      return { ok: true };
    },

    async *readUsers(input): AsyncIterable<DirectoryUser[]> {
      const { directory, context } = session(input);
      const { settings } = input;
      const fields = [...input.fields, ...customSchemaFields(settings.aliasTemplate)];
      const projection = customSchemaFields(settings.aliasTemplate).length > 0 ? "full" : "basic";
      const toUser = (user: admin_directory_v1.Schema$User) => toDirectoryUser(user, fields);
      const customer = settings.customerId;

      if (settings.users === "all") {
        for await (const page of listUsers(context, directory, { customer, projection })) {
          yield page.map(toUser);
        }
        return;
      }
      // A user in two selected org units (or two groups) is returned once.
      const seen = new Set<string>();
      const fresh = (page: admin_directory_v1.Schema$User[]) =>
        page.filter((user) => {
          if (!user.id || seen.has(user.id)) return false;
          seen.add(user.id);
          return true;
        });
      if (settings.users === "orgUnits") {
        for (const path of settings.orgUnits) {
          try {
            const query = `orgUnitPath='${path}'`;
            for await (const page of listUsers(context, directory, {
              customer,
              projection,
              query,
            })) {
              const users = fresh(page);
              if (users.length > 0) yield users.map(toUser);
            }
          } catch (error) {
            if (isUnknownOrgUnit(error)) {
              throw new ConnectorError(
                "group_not_found",
                `The org unit ${path} no longer exists.`,
                {
                  orgUnits: [path],
                },
              );
            }
            throw error;
          }
        }
        return;
      }
      // Selected groups: expand the membership first, then read the users in pages of 500
      // (one users.get per member would spend the 2,400-queries-a-minute quota).
      const members = new Set<string>();
      for (const key of settings.groups) {
        const group = await groupOrMissing(getGroup(context, directory, key), key);
        for (const id of await transitiveUserIds(context, directory, String(group.id))) {
          members.add(id);
        }
      }
      for await (const page of listUsers(context, directory, { customer, projection })) {
        const users = fresh(page.filter((user) => members.has(String(user.id))));
        if (users.length > 0) yield users.map(toUser);
      }
    },

    /**
     * Groups whose name or email starts with the query: two `groups.list` searches
     * (`name:'…*'`, then `email:…*`; clauses in one query would be ANDed), as
     * developers.google.com/workspace/admin/directory/v1/guides/search-groups describes.
     */
    async searchGroups(input, query): Promise<GroupMatch[]> {
      const { directory, context } = session(input);
      const customer = input.settings.customerId;
      const term = query.trim().replace(/['\\]/g, (character) => `\\${character}`);
      const searches = term ? [`name:'${term}*'`, `email:'${term}*'`] : [undefined];
      const found = new Map<string, GroupMatch>();
      for (const search of searches) {
        const answer = await call(context, "groups.list", () =>
          directory.groups.list({
            customer,
            maxResults: MAX_GROUP_MATCHES,
            ...(search ? { query: search } : {}),
          }),
        );
        for (const group of answer.groups ?? []) {
          if (!group.id || found.has(group.id)) continue;
          found.set(group.id, {
            externalId: group.id,
            name: group.name ?? group.email ?? group.id,
            detail: group.email ?? null,
          });
        }
      }
      return [...found.values()].sort((a, b) => a.name.localeCompare(b.name));
    },

    /**
     * One user by id or primary/alias email (`users.get`); in scope for org units when its
     * `orgUnitPath` is one of them or below, for selected groups when `members.hasMember`
     * (nested membership included) says so for one of them.
     */
    async readUser(input, key): Promise<SingleUser | null> {
      const { directory, context } = session(input);
      const { settings } = input;
      const fields = [...input.fields, ...customSchemaFields(settings.aliasTemplate)];
      const projection = customSchemaFields(settings.aliasTemplate).length > 0 ? "full" : "basic";
      const userKey = "externalId" in key ? key.externalId : key.email;
      let user: admin_directory_v1.Schema$User;
      try {
        user = await call(context, "users.get", () => directory.users.get({ userKey, projection }));
      } catch (error) {
        if (isNotFound(error)) return null;
        throw error;
      }
      let inScope = settings.users === "all";
      if (settings.users === "orgUnits") {
        const path = user.orgUnitPath ?? "/";
        inScope = settings.orgUnits.some(
          (unit) => unit === "/" || path === unit || path.startsWith(`${unit}/`),
        );
      }
      if (settings.users === "selectedGroups") {
        for (const groupKey of settings.groups) {
          const answer = await call(context, "members.hasMember", () =>
            directory.members.hasMember({ groupKey, memberKey: String(user.id) }),
          );
          if (answer.isMember) {
            inScope = true;
            break;
          }
        }
      }
      return { user: toDirectoryUser(user, fields), inScope };
    },

    async readGroups(input, ids): Promise<DirectoryGroup[]> {
      const { directory, context } = session(input);
      const groups: DirectoryGroup[] = [];
      for (const key of ids) {
        const group = await groupOrMissing(getGroup(context, directory, key), key);
        const memberIds = await transitiveUserIds(context, directory, String(group.id));
        groups.push({
          externalId: String(group.id),
          name: group.name ?? group.email ?? key,
          memberIds,
        });
      }
      return groups;
    },
  });
}

async function groupOrMissing<T>(pending: Promise<T>, key: string): Promise<T> {
  try {
    return await pending;
  } catch (error) {
    if (isNotFound(error)) {
      throw new ConnectorError(
        "group_not_found",
        `The group ${key} does not exist in the Workspace.`,
        {
          ids: [key],
        },
      );
    }
    throw error;
  }
}

function failure(error: unknown): ConnectResult {
  const known =
    error instanceof ConnectorError
      ? { code: error.code, message: error.message, details: error.details }
      : classify(error, { adminEmail: "", clientId: "" });
  return {
    ok: false,
    code: asConnectCode(known.code, CONNECT_ERROR_CODES),
    message: known.message,
    ...(known.details ? { details: known.details } : {}),
  };
}

/**
 * A 403 `forbidden` means the administrator lacks the privilege, or the customer id is not
 * this Workspace's: asking again with `my_customer` tells them apart.
 */
async function refineForbidden(
  error: unknown,
  settings: GoogleSettings,
  directory: admin_directory_v1.Admin,
): Promise<unknown> {
  const cause = error;
  if (settings.customerId === "my_customer" || statusOf(cause) !== 403) return error;
  try {
    await directory.users.list({ customer: "my_customer", maxResults: 1 });
  } catch {
    return error;
  }
  return new ConnectorError(
    "unknown_directory",
    `${settings.adminEmail} administers a Workspace whose customer id is not ${settings.customerId}. Use my_customer or the id under Account settings.`,
  );
}

/**
 * Checks the sign-in OAuth client without a user: Google's token endpoint authenticates the
 * client before it looks at the code, so a made-up code answers 401 `invalid_client` for a
 * wrong id or secret and 400 `invalid_grant` for a good client.
 */
async function checkSignInClient(
  hosts: GoogleHosts,
  clientId: string,
  clientSecret: string | undefined,
): Promise<ConnectResult | null> {
  if (!clientSecret) {
    return {
      ok: false,
      code: "invalid_secret",
      message:
        'Sign in with Google needs the OAuth client\'s secret: save the secret as {"serviceAccountKey": <key file>, "signInClientSecret": "GOCSPX-…"}.',
    };
  }
  try {
    const response = await fetch(hosts.tokenUrl, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        grant_type: "authorization_code",
        code: "roster-connect-check",
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uri: "https://roster.invalid/check",
      }),
      signal: AbortSignal.timeout(15_000),
    });
    if (response.status !== 401) return null;
    return {
      ok: false,
      code: "invalid_secret",
      message:
        "Google does not know this sign-in OAuth client id and secret. Copy both from the Web OAuth client in the Google Cloud console.",
      details: { clientId },
    };
  } catch (error) {
    return {
      ok: false,
      code: "directory_unreachable",
      message: `Google's token endpoint could not be reached: ${error instanceof Error ? error.message : String(error)}`,
    };
  }
}
