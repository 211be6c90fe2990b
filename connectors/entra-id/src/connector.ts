import {
  CONNECT_ERROR_CODES,
  type ConnectErrorCode,
  type Connector,
  ConnectorError,
  type ConnectResult,
  type DirectoryGroup,
  type DirectoryUser,
  defineConnector,
  type GroupMatch,
  type Input,
  MAX_GROUP_MATCHES,
  type ReadInput,
  type SingleUser,
} from "@roster/connector-kit";
import { z } from "zod";
import { entraChanges } from "./changes.ts";
import { classify, isNotFound, toConnectorError } from "./errors.ts";
import { type EntraHosts, openGraph, type RetryPolicy } from "./graph-client.ts";
import {
  BASE_USER_FIELDS,
  PAGE_SIZE,
  type PageReader,
  readPages,
  toDirectoryUser,
} from "./read.ts";
import { type EntraSettings, entraSettings, GRAPH_USER_STRING_FIELDS } from "./settings.ts";
import { entraSignIn } from "./sign-in.ts";

export type EntraOptions = Partial<EntraHosts> & {
  retry?: Partial<RetryPolicy>;
  /** Extra tries for a page after a 500 or a dropped connection, and the pause between them. */
  pageAttempts?: number;
  pageRetryDelayMs?: number;
};

const USER_PERMISSION = "User.Read.All";
const GROUP_PERMISSION = "Group.Read.All";

/** Microsoft Entra ID through Microsoft Graph, with application (client-credential) permissions. */
export function entraId(options: EntraOptions = {}): Connector<typeof entraSettings> {
  const hosts: EntraHosts = {
    authorityHost: options.authorityHost ?? "https://login.microsoftonline.com",
    graphBaseUrl: options.graphBaseUrl ?? "https://graph.microsoft.com",
  };
  const retry: RetryPolicy = { delaySeconds: 3, maxRetries: 5, ...options.retry };

  const session = ({ settings, secret }: Input<EntraSettings>) =>
    openGraph(hosts, retry, {
      directoryId: settings.directoryId,
      applicationId: settings.applicationId,
      secret,
    });

  const reader = (input: Input<EntraSettings>, permission: string): PageReader => ({
    session: session(input),
    log: input.log,
    signal: input.signal,
    permission,
    pageAttempts: options.pageAttempts,
    pageRetryDelayMs: options.pageRetryDelayMs,
  });

  /** Every user in the group or nested in it; needs ConsistencyLevel on every page. */
  const membersRequest = (groupId: string, select: string) =>
    `/groups/${groupId}/transitiveMembers/microsoft.graph.user?$select=${select}&$top=${PAGE_SIZE}&$count=true`;
  const ADVANCED = { ConsistencyLevel: "eventual" };

  /** Base properties plus the alias fields (Graph returns only `$select`ed ones). */
  const selectOf = (fields: readonly string[]) =>
    [
      ...BASE_USER_FIELDS,
      ...fields.filter((field) => !(BASE_USER_FIELDS as readonly string[]).includes(field)),
    ].join(",");

  /** The complete read of the scope: every user once. */
  async function* readUsers(input: ReadInput<EntraSettings>): AsyncIterable<DirectoryUser[]> {
    const select = selectOf(input.fields);
    const toUser = (user: Parameters<typeof toDirectoryUser>[0]) =>
      toDirectoryUser(user, input.fields);
    const { settings } = input;
    if (settings.users === "all" || settings.groups.mode === "none") {
      const pages = readPages(
        reader(input, USER_PERMISSION),
        `/users?$select=${select}&$top=${PAGE_SIZE}`,
      );
      for await (const page of pages) yield page.map(toUser);
      return;
    }
    // Selected groups: a user in several groups (or nested twice) is returned once.
    const seen = new Set<string>();
    const groupReader = reader(input, GROUP_PERMISSION);
    for (const groupId of settings.groups.ids) {
      try {
        for await (const page of readPages(
          groupReader,
          membersRequest(groupId, select),
          ADVANCED,
        )) {
          const fresh = page.filter((user) => !seen.has(user.id));
          for (const user of fresh) seen.add(user.id);
          if (fresh.length > 0) yield fresh.map(toUser);
        }
      } catch (error) {
        throw groupError(error, groupId);
      }
    }
  }

  return defineConnector({
    type: "entra-id",
    displayName: "Microsoft Entra ID",
    status: "available",
    signIn: "microsoft",
    signInProvider: entraSignIn(hosts.authorityHost),
    settings: entraSettings,
    secret: {
      label: "Application secret (client secret value)",
      schema: z.string().trim().min(1, "The application secret is required.").max(1024),
    },
    templateFields: GRAPH_USER_STRING_FIELDS,
    selectedGroupIds: (settings) =>
      settings.groups.mode === "selected" ? settings.groups.ids : [],

    async connect(input): Promise<ConnectResult> {
      const graph = session(input);
      try {
        // Signs in and proves User.Read.All in one small call.
        await graph.client.api("/users").select("id").top(1).get();
      } catch (error) {
        return asConnectFailure(
          await refineDirectoryFailure(classify(error, USER_PERMISSION), hosts, input.settings),
        );
      }
      if (input.settings.groups.mode === "none") return { ok: true };
      const missing: string[] = [];
      for (const id of input.settings.groups.ids) {
        try {
          await graph.client.api(`/groups/${id}`).select("id,displayName").get();
        } catch (error) {
          if (isNotFound(error)) missing.push(id);
          else return asConnectFailure(classify(error, GROUP_PERMISSION));
        }
      }
      if (missing.length > 0) {
        return {
          ok: false,
          code: "group_not_found",
          message: `No group with ${missing.length > 1 ? "these object ids" : "this object id"} exists in the directory: ${missing.join(", ")}.`,
          details: { ids: missing },
        };
      }
      return { ok: true };
    },

    readUsers,
    readChanges: entraChanges({
      reader: (input, kind) => reader(input, kind === "user" ? USER_PERMISSION : GROUP_PERMISSION),
      readUsers,
      select: selectOf,
    }),

    /**
     * Groups by name: `$search="displayName:…"` matches a word of the name that starts with
     * the query, and needs `ConsistencyLevel: eventual`
     * (learn.microsoft.com/graph/search-query-parameter#using-search-on-directory-object-collections).
     */
    async searchGroups(input, query): Promise<GroupMatch[]> {
      const graph = session(input);
      const select = "$select=id,displayName,description,mail";
      // Inside the quoted $search value, `"` and `\` are escaped with a backslash.
      const term = query.trim().replace(/["\\]/g, (character) => `\\${character}`);
      const url = term
        ? `/groups?$search=${encodeURIComponent(`"displayName:${term}"`)}&${select}&$top=${MAX_GROUP_MATCHES}`
        : `/groups?${select}&$top=${MAX_GROUP_MATCHES}`;
      try {
        const page = (await graph.client.api(url).headers(ADVANCED).get()) as {
          value: {
            id: string;
            displayName: string | null;
            description?: string | null;
            mail?: string | null;
          }[];
        };
        return page.value
          .map((group) => ({
            externalId: group.id,
            name: group.displayName ?? group.id,
            detail: group.mail ?? group.description ?? null,
          }))
          .sort((a, b) => a.name.localeCompare(b.name));
      } catch (error) {
        throw toConnectorError(error, GROUP_PERMISSION);
      }
    },

    /**
     * One user: `GET /users/{id}`, or by email `$filter=mail eq '…'` then
     * `userPrincipalName eq '…'` (learn.microsoft.com/graph/api/user-get,
     * learn.microsoft.com/graph/filter-query-parameter). In scope for selected groups when
     * `checkMemberGroups` finds a selected group among its transitive groups
     * (learn.microsoft.com/graph/api/directoryobject-checkmembergroups, 20 ids a call).
     */
    async readUser(input, key): Promise<SingleUser | null> {
      const graph = session(input);
      const select = selectOf(input.fields);
      let found: Parameters<typeof toDirectoryUser>[0] | null = null;
      try {
        if ("externalId" in key) {
          found = await graph.client
            .api(`/users/${encodeURIComponent(key.externalId)}?$select=${select}`)
            .get()
            .catch((error: unknown) => {
              if (isNotFound(error)) return null;
              throw error;
            });
        } else {
          const literal = `'${key.email.replaceAll("'", "''")}'`;
          for (const property of ["mail", "userPrincipalName"]) {
            const page = (await graph.client
              .api(
                `/users?$filter=${encodeURIComponent(`${property} eq ${literal}`)}&$select=${select}&$top=2`,
              )
              .get()) as { value: Parameters<typeof toDirectoryUser>[0][] };
            found = page.value[0] ?? null;
            if (found) break;
          }
        }
        if (!found) return null;
        const { settings } = input;
        let inScope = settings.users === "all" || settings.groups.mode === "none";
        if (!inScope && settings.groups.mode === "selected") {
          for (let start = 0; start < settings.groups.ids.length && !inScope; start += 20) {
            const groupIds = settings.groups.ids.slice(start, start + 20);
            const answer = (await graph.client
              .api(`/users/${found.id}/checkMemberGroups`)
              .post({ groupIds })) as { value: string[] };
            inScope = answer.value.length > 0;
          }
        }
        return { user: toDirectoryUser(found, input.fields), inScope };
      } catch (error) {
        throw toConnectorError(error, USER_PERMISSION);
      }
    },

    async readGroups(input, ids): Promise<DirectoryGroup[]> {
      const groupReader = reader(input, GROUP_PERMISSION);
      const groups: DirectoryGroup[] = [];
      for (const id of ids) {
        try {
          const group = (await groupReader.session.client
            .api(`/groups/${id}`)
            .select("id,displayName")
            .get()) as {
            id: string;
            displayName: string | null;
          };
          const memberIds: string[] = [];
          for await (const page of readPages(groupReader, membersRequest(id, "id"), ADVANCED)) {
            for (const user of page) memberIds.push(user.id);
          }
          groups.push({ externalId: group.id, name: group.displayName ?? group.id, memberIds });
        } catch (error) {
          throw groupError(error, id);
        }
      }
      return groups;
    },
  });
}

/** Connect speaks only the API's connect codes: a throttled or failed probe means "unreachable". */
function asConnectFailure(failure: ReturnType<typeof classify>): ConnectResult {
  const code = (CONNECT_ERROR_CODES as readonly string[]).includes(failure.code)
    ? (failure.code as ConnectErrorCode)
    : "directory_unreachable";
  return { ok: false, code, message: failure.message, details: failure.details };
}

const groupError = (error: unknown, groupId: string) =>
  isNotFound(error)
    ? new ConnectorError(
        "group_not_found",
        `The group ${groupId} no longer exists in the directory.`,
        { ids: [groupId] },
      )
    : toConnectorError(error, GROUP_PERMISSION);

/**
 * MSAL reports an unknown tenant and an unreachable host alike (`endpoints_resolution_error`).
 * Asking the discovery document ourselves tells them apart.
 */
async function refineDirectoryFailure(
  failure: ReturnType<typeof classify>,
  hosts: EntraHosts,
  settings: EntraSettings,
): Promise<ReturnType<typeof classify>> {
  if (failure.code !== "unknown_directory") return failure;
  const url = `${new URL(hosts.authorityHost).origin}/${settings.directoryId}/v2.0/.well-known/openid-configuration`;
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
    if (response.status === 400) return failure;
    return {
      code: "directory_unreachable",
      message: `Entra ID sign-in answered ${response.status} for this directory.`,
    };
  } catch (error) {
    return {
      code: "directory_unreachable",
      message: `Entra ID sign-in (${new URL(hosts.authorityHost).host}) could not be reached: ${error instanceof Error ? error.message : String(error)}`,
    };
  }
}
