import { aliasTemplateSchema, type GroupMatch } from "@roster/connector-kit";
import { groupMembers, groups } from "@roster/db";
import { and, count, eq, inArray } from "drizzle-orm";
import type { Ctx } from "../context.ts";
import { DomainError } from "../errors.ts";
import { compileAliasTemplate } from "../rules/aliases.ts";
import { directoryFailure } from "../runs/provision.ts";
import { fieldsToRead } from "../sync/phases.ts";
import { connectorOf, decryptSecret, loadConnection } from "./manage.ts";

/** Directory users an alias example shows. */
export const ALIAS_EXAMPLE_USERS = 5;

/** A saved connection's connector with its settings and secret, whatever its status. */
async function openDirectory(ctx: Ctx, connectionId: string) {
  const connection = await loadConnection(ctx, connectionId);
  const connector = connectorOf(ctx, connection.type);
  const settings = connector.settings.parse(connection.settings) as Record<string, unknown>;
  return {
    connector,
    settings,
    input: { settings, secret: decryptSecret(ctx, connection), log: ctx.log },
  };
}

/** The group picker: directory groups whose name starts with `query`. */
export async function searchDirectoryGroups(
  ctx: Ctx,
  connectionId: string,
  query: string,
): Promise<{ items: GroupMatch[] }> {
  const { connector, input } = await openDirectory(ctx, connectionId);
  if (!connector.searchGroups) {
    throw new DomainError(
      "connector_unavailable",
      `${connector.displayName} cannot search groups by name; enter their ids.`,
    );
  }
  const items = await connector.searchGroups(input, query).catch((error: unknown) => {
    throw directoryFailure(error);
  });
  return { items };
}

/**
 * The aliases a template (not yet saved) gives the first few users of the directory, like
 * Entra's "Test expression": the same compiled template a run uses, over real users read
 * with the connection's saved credentials and scope. A template the API would refuse at save
 * is a 400 with the same messages.
 */
export async function aliasExamples(ctx: Ctx, connectionId: string, aliasTemplate: string) {
  const { connector, settings, input } = await openDirectory(ctx, connectionId);
  const parsed = aliasTemplateSchema(connector.templateFields).safeParse(aliasTemplate);
  if (!parsed.success) {
    throw new DomainError(
      "validation_failed",
      parsed.error.issues.map((issue) => issue.message).join(" "),
      parsed.error.issues.map((issue) => ({ path: ["aliasTemplate"], message: issue.message })),
    );
  }
  const stripInvalid = settings.aliasesWithoutInvalidCharacters === true;
  const build = compileAliasTemplate(aliasTemplate, stripInvalid);
  const fields = fieldsToRead({ aliasTemplate } as Parameters<typeof fieldsToRead>[0], connector);
  const stop = new AbortController();
  const examples: {
    externalId: string;
    displayName: string | null;
    email: string | null;
    aliases: string[];
  }[] = [];
  try {
    for await (const page of connector.readUsers({ ...input, fields, signal: stop.signal })) {
      for (const user of page) {
        if (!user.enabled) continue;
        examples.push({
          externalId: user.externalId,
          displayName: user.displayName,
          email: user.email,
          aliases: build(user.attributes),
        });
        if (examples.length >= ALIAS_EXAMPLE_USERS) break;
      }
      // The first page is enough: leaving the loop ends the read.
      if (examples.length >= ALIAS_EXAMPLE_USERS) break;
    }
  } catch (error) {
    throw directoryFailure(error);
  } finally {
    stop.abort();
  }
  return { aliasTemplate, fields, examples };
}

/**
 * The groups a connection selects, with their names and members once a run mirrored them
 * (before the first run only the ids are known).
 */
export async function selectedGroupsOf(ctx: Ctx, connectionId: string) {
  const { connector, settings } = await openDirectory(ctx, connectionId);
  const ids = connector.selectedGroupIds(settings as never);
  const mirrored = ids.length
    ? await ctx.db.db
        .select()
        .from(groups)
        .where(and(eq(groups.tenantId, ctx.tenantId), eq(groups.connectionId, connectionId)))
    : [];
  const counts = mirrored.length
    ? await ctx.db.db
        .select({ groupId: groupMembers.groupId, members: count() })
        .from(groupMembers)
        .where(
          inArray(
            groupMembers.groupId,
            mirrored.map((group) => group.id),
          ),
        )
        .groupBy(groupMembers.groupId)
    : [];
  const memberCount = new Map(counts.map((row) => [row.groupId, row.members]));
  return {
    items: ids.map((externalId) => {
      const group = mirrored.find(
        (candidate) => candidate.externalId.toLowerCase() === externalId.toLowerCase(),
      );
      return {
        externalId,
        name: group?.name ?? null,
        groupId: group?.id ?? null,
        memberCount: group ? (memberCount.get(group.id) ?? 0) : null,
      };
    }),
  };
}
