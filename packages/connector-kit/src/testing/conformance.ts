import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { z } from "zod";
import type { Connector, ConnectorLogger, DirectoryUser } from "../connector.ts";
import { CONNECT_ERROR_CODES, ConnectorError } from "../errors.ts";

/**
 * A directory a connector under test reads, built by the connector's own harness in its
 * fake (a simulator, or memory). Everything here is known from the fake itself, not from the
 * connector, so the suite can check what the connector returns.
 */
export type ConformanceDirectory = {
  /** Settings (before parsing) that read every user. */
  allUsers: Record<string, unknown>;
  /** Settings (before parsing) that read the members of these groups (transitively). */
  selectedGroups(groupIds: readonly string[]): Record<string, unknown>;
  secret: string;
  /** A well-formed secret the directory refuses (a wrong key or password). */
  badSecret: string;
  /** External ids of every user the directory holds; more than one page of them. */
  userIds: readonly string[];
  /** Two groups that share at least one user, with each group's transitive user members. */
  overlappingGroups: {
    ids: readonly [string, string];
    memberIds: readonly [readonly string[], readonly string[]];
  };
  /** Fields to ask `readUsers` for. */
  fields?: readonly string[];
  /** Makes every listing page from `page` (1 = first) on fail until the returned function runs. */
  failFromPage(page: number): Promise<() => Promise<void>> | (() => Promise<void>);
};

export type ConformanceSubject<S extends z.ZodObject> = {
  name: string;
  connector: Connector<S>;
  /** Builds (or reuses) the directory; called once before the checks. */
  directory(): Promise<ConformanceDirectory>;
  /** Stops what `directory` started. */
  teardown?(): Promise<void>;
};

const quietLog: ConnectorLogger = { debug() {}, info() {}, warn() {}, error() {} };

/**
 * The checks every connector must pass, whatever directory it reads (modelled on
 * better-auth's adapter test suite: a connector package calls it from its own tests with a
 * way to build a directory in its fake). Registers bun:test tests.
 */
export function connectorConformance<S extends z.ZodObject>(subject: ConformanceSubject<S>) {
  const { connector } = subject;
  describe(`connector conformance: ${subject.name}`, () => {
    let directory: ConformanceDirectory;
    beforeAll(async () => {
      directory = await subject.directory();
    });
    afterAll(async () => {
      await subject.teardown?.();
    });

    const settings = (raw: Record<string, unknown>) => connector.settings.parse(raw);
    const read = async (raw: Record<string, unknown>, secret = directory.secret) => {
      const pages: DirectoryUser[][] = [];
      for await (const page of connector.readUsers({
        settings: settings(raw),
        secret,
        log: quietLog,
        fields: directory.fields ?? [],
      })) {
        pages.push(page);
      }
      return pages;
    };

    test("pages do not overlap and together cover the directory", async () => {
      const pages = await read(directory.allUsers);
      expect(pages.length).toBeGreaterThan(1);
      const ids = pages.flat().map((user) => user.externalId);
      expect(ids.length).toBe(new Set(ids).size);
      expect(new Set(ids)).toEqual(new Set(directory.userIds));
    });

    test("a user in two selected groups appears once, and every member appears", async () => {
      const { ids, memberIds } = directory.overlappingGroups;
      const shared = memberIds[0].filter((id) => memberIds[1].includes(id));
      expect(shared.length).toBeGreaterThan(0);
      const users = (await read(directory.selectedGroups(ids))).flat();
      const seen = users.map((user) => user.externalId);
      expect(seen.length).toBe(new Set(seen).size);
      expect(new Set(seen)).toEqual(new Set([...memberIds[0], ...memberIds[1]]));
    });

    test("readGroups returns each group's transitive members once", async () => {
      const { ids, memberIds } = directory.overlappingGroups;
      const groups = await connector.readGroups(
        {
          settings: settings(directory.selectedGroups(ids)),
          secret: directory.secret,
          log: quietLog,
        },
        ids,
      );
      expect(groups).toHaveLength(2);
      groups.forEach((group, index) => {
        expect(group.memberIds.length).toBe(new Set(group.memberIds).size);
        expect(new Set(group.memberIds)).toEqual(new Set(memberIds[index]));
      });
    });

    test("a failure in the middle of the listing throws a ConnectorError after the first page", async () => {
      const clear = await directory.failFromPage(2);
      const pages: DirectoryUser[][] = [];
      let failure: unknown;
      try {
        for await (const page of connector.readUsers({
          settings: settings(directory.allUsers),
          secret: directory.secret,
          log: quietLog,
          fields: directory.fields ?? [],
        })) {
          pages.push(page);
        }
      } catch (error) {
        failure = error;
      } finally {
        await clear();
      }
      expect(pages.length).toBeGreaterThanOrEqual(1);
      expect(failure).toBeInstanceOf(ConnectorError);
    });

    // Optional capabilities: checked when the connector offers them.
    test.if(!!connector.readUser)(
      "readUser returns what readUsers yields, with its scope",
      async () => {
        const [first] = (await read(directory.allUsers)).flat();
        if (!first || !connector.readUser) throw new Error("no user");
        const input = {
          settings: settings(directory.allUsers),
          secret: directory.secret,
          log: quietLog,
          fields: directory.fields ?? [],
        };
        const byId = await connector.readUser(input, { externalId: first.externalId });
        expect(byId).toEqual({ user: first, inScope: true });
        if (first.email) {
          const byEmail = await connector.readUser(input, { email: first.email.toUpperCase() });
          expect(byEmail?.user.externalId).toBe(first.externalId);
        }
        const [inGroup] = directory.overlappingGroups.memberIds[0];
        const outside = directory.userIds.find(
          (id) =>
            !directory.overlappingGroups.memberIds[0].includes(id) &&
            !directory.overlappingGroups.memberIds[1].includes(id),
        );
        const scoped = {
          ...input,
          settings: settings(directory.selectedGroups([directory.overlappingGroups.ids[0]])),
        };
        expect((await connector.readUser(scoped, { externalId: inGroup as string }))?.inScope).toBe(
          true,
        );
        if (outside) {
          expect((await connector.readUser(scoped, { externalId: outside }))?.inScope).toBe(false);
        }
        expect(
          await connector.readUser(input, { email: "nobody-at-all@conformance.invalid" }),
        ).toBeNull();
      },
    );

    test.if(!!connector.searchGroups)(
      "searchGroups finds a group by the start of its name",
      async () => {
        if (!connector.searchGroups) return;
        const input = {
          settings: settings(directory.allUsers),
          secret: directory.secret,
          log: quietLog,
        };
        const [group] = await connector.readGroups(input, [directory.overlappingGroups.ids[0]]);
        if (!group) throw new Error("no group");
        const found = await connector.searchGroups(input, group.name.slice(0, 3));
        expect(found.map((match) => match.externalId)).toContain(group.externalId);
        expect(found.length).toBeLessThanOrEqual(20);
      },
    );

    test("connect succeeds with good credentials", async () => {
      expect(
        await connector.connect({
          settings: settings(directory.allUsers),
          secret: directory.secret,
          log: quietLog,
        }),
      ).toEqual({ ok: true });
    });

    test("connect answers a code, never throws, for credentials the directory refuses", async () => {
      const result = await connector.connect({
        settings: settings(directory.allUsers),
        secret: directory.badSecret,
        log: quietLog,
      });
      expect(result.ok).toBe(false);
      if (!result.ok) {
        expect(CONNECT_ERROR_CODES).toContain(result.code);
        expect(result.message.length).toBeGreaterThan(10);
      }
    });

    test("a read with refused credentials throws a ConnectorError", async () => {
      await expect(read(directory.allUsers, directory.badSecret)).rejects.toBeInstanceOf(
        ConnectorError,
      );
    });

    test("the settings render as JSON Schema with a title and a description on every field", () => {
      const schema = z.toJSONSchema(connector.settings, { io: "input", unrepresentable: "any" });
      const missing = fieldsWithoutLabels(schema as JsonSchema);
      expect(missing).toEqual([]);
      expect(connector.secret.label.length).toBeGreaterThan(0);
    });

    test("settings defaults parse, and every template field is unique", () => {
      expect(new Set(connector.templateFields.map((field) => field.toLowerCase())).size).toBe(
        connector.templateFields.length,
      );
      expect(connector.selectedGroupIds(settings(directory.allUsers))).toBeArray();
    });
  });
}

type JsonSchema = {
  properties?: Record<string, JsonSchema>;
  oneOf?: JsonSchema[];
  anyOf?: JsonSchema[];
  items?: JsonSchema;
  title?: string;
  description?: string;
  const?: unknown;
};

/**
 * Paths of properties lacking a title or a description, at any depth. A discriminator
 * (a `const`) names its variant and needs neither.
 */
export function fieldsWithoutLabels(schema: JsonSchema, path: string[] = []): string[] {
  const missing: string[] = [];
  for (const [name, property] of Object.entries(schema.properties ?? {})) {
    const here = [...path, name];
    if (property.const === undefined && (!property.title || !property.description)) {
      missing.push(here.join("."));
    }
    missing.push(...fieldsWithoutLabels(property, here));
  }
  for (const variant of [...(schema.oneOf ?? []), ...(schema.anyOf ?? [])]) {
    missing.push(...fieldsWithoutLabels(variant, path));
  }
  if (schema.items) missing.push(...fieldsWithoutLabels(schema.items, [...path, "[]"]));
  return [...new Set(missing)];
}
