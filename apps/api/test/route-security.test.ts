/**
 * The standing route-security suite (issue 12), generated from the OpenAPI document in the
 * manner of unkey's shared route tests: every operation the document lists is attacked with
 * missing, forged and expired credentials, a user without the permission, another tenant's
 * administrator holding this tenant's ids, and a cookie from another site; and fed
 * malformed JSON, wrong types, over-long strings and bad cursors. Each answer must be a 4xx
 * the operation documents, in the error shape. A new route is covered without a new test;
 * a route whose path names a resource this file has no id for fails loudly below.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { sessions, users } from "@roster/db";
import { eq } from "drizzle-orm";
import { OPERATOR_TOKEN, testApi } from "./support.ts";

type Schema = {
  $ref?: string;
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  anyOf?: Schema[];
  oneOf?: Schema[];
  enum?: unknown[];
  format?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  minItems?: number;
  additionalProperties?: unknown;
};
type Parameter = { name: string; in: "path" | "query"; required?: boolean; schema: Schema };
type Operation = {
  operationId?: string;
  security?: Array<Record<string, string[]>>;
  parameters?: Parameter[];
  requestBody?: { content: Record<string, { schema: Schema }> };
  responses: Record<string, unknown>;
  "x-permission"?: string;
};
type Document = {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema> };
};

const api = await testApi({
  app: { loginThrottle: { perAddress: 100_000, freeFailures: 100_000, accountFreeFailures: 1e5 } },
});
afterAll(() => api.stop());

const acme = await api.createTenant("acme");
const other = await api.createTenant("other");
const doc = (await api.call("GET", "/api/openapi.json")).json as Document;

/** A signed-in user of acme with the role `User`: no permission at all. */
const plainPassword = "a-plain-user-password";
const plainUser = await api.call("POST", "/api/users", {
  token: acme.token,
  body: { email: "plain@acme.test", firstName: "P", lastName: "U", password: plainPassword },
});
const plainToken = (
  await api.call("POST", "/api/auth/login", {
    body: { tenant: "acme", email: "plain@acme.test", password: plainPassword },
  })
).json.token as string;

/** An administrator of acme whose session has expired. */
await api.call("POST", "/api/users", {
  token: acme.token,
  body: {
    email: "late@acme.test",
    firstName: "L",
    lastName: "A",
    password: "a-late-admin-password",
    roles: ["Administrator"],
  },
});
const expiredToken = (
  await api.call("POST", "/api/auth/login", {
    body: { tenant: "acme", email: "late@acme.test", password: "a-late-admin-password" },
  })
).json.token as string;
const [late] = await api.deps.db.db.select().from(users).where(eq(users.email, "late@acme.test"));
await api.deps.db.db
  .update(sessions)
  .set({ expiresAt: new Date(Date.now() - 60_000) })
  .where(eq(sessions.userId, late?.id ?? ""));

/** Acme's own ids, one per resource a path can name: a synced connection, its run, … */
const connection = await api.call("POST", "/api/user-sync/connections", {
  token: acme.token,
  body: {
    type: "entra-id",
    settings: {
      applicationId: api.entra.clientId,
      directoryId: api.entra.tenantId,
      groups: { mode: "selected", ids: [api.entra.groups.sample] },
    },
    secret: api.entra.secret,
  },
});
const connectionId = connection.json.id as string;
await api.call("POST", `/api/user-sync/connections/${connectionId}/connect`, { token: acme.token });
const run = await api.call("POST", `/api/user-sync/connections/${connectionId}/sync`, {
  token: acme.token,
});
await api.deps.tracker.idle();
const preview = await api.call("POST", `/api/user-sync/connections/${connectionId}/preview`, {
  token: acme.token,
});
const group = await api.call("GET", "/api/groups", { token: acme.token });
const notification = await api.call("GET", "/api/notifications", { token: acme.token });

const idsOf: Record<string, string> = {
  users: plainUser.json.id,
  connections: connectionId,
  runs: run.json.run.id,
  previews: preview.json.preview.id,
  groups: group.json.items[0]?.id,
  notifications: notification.json.items[0]?.id,
  sso: "microsoft",
};

const resolve = (schema: Schema): Schema => {
  if (!schema.$ref) return schema;
  const name = schema.$ref.split("/").at(-1) as string;
  return resolve(doc.components.schemas[name] as Schema);
};

const typeOf = (schema: Schema) => {
  const resolved = resolve(schema);
  if (resolved.anyOf ?? resolved.oneOf)
    return typeOf((resolved.anyOf ?? resolved.oneOf)?.[0] ?? {});
  return Array.isArray(resolved.type) ? resolved.type[0] : resolved.type;
};

/** The smallest valid value of a schema, as far as the document says. */
function sample(schema: Schema): unknown {
  const resolved = resolve(schema);
  if (resolved.enum) return resolved.enum[0];
  const union = resolved.anyOf ?? resolved.oneOf;
  if (union) return sample(union[0] ?? {});
  switch (typeOf(resolved)) {
    case "object":
      return Object.fromEntries(
        (resolved.required ?? []).map((key) => [key, sample(resolved.properties?.[key] ?? {})]),
      );
    case "array":
      return Array.from({ length: resolved.minItems ?? 0 }, () => sample(resolved.items ?? {}));
    case "boolean":
      return false;
    case "integer":
    case "number":
      return resolved.minimum ?? 1;
    case "string":
      if (resolved.format === "email") return "someone@example.test";
      if (resolved.format === "date-time") return new Date().toISOString();
      return "x".repeat(Math.max(resolved.minLength ?? 1, 1));
    default:
      return null;
  }
}

/** A value of another JSON type than the schema asks for. */
const wrongTypeFor = (schema: Schema): unknown => {
  switch (typeOf(schema)) {
    case "string":
      return 12345;
    case "boolean":
      return "yes";
    case "integer":
    case "number":
      return "many";
    case "array":
      return "not-a-list";
    default:
      return 42;
  }
};

/** Every string property of a body schema, nested objects included, by path. */
function stringPaths(schema: Schema, prefix: string[] = []): string[][] {
  const resolved = resolve(schema);
  if (typeOf(resolved) !== "object" || !resolved.properties) return [];
  return Object.entries(resolved.properties).flatMap(([key, property]) => {
    const type = typeOf(property);
    if (type === "string" && !resolve(property).enum) return [[...prefix, key]];
    if (type === "object") return stringPaths(property, [...prefix, key]);
    return [];
  });
}

const withValueAt = (body: unknown, path: string[], value: unknown): unknown => {
  const [head, ...rest] = path;
  const object = (typeof body === "object" && body !== null ? body : {}) as Record<string, unknown>;
  if (head === undefined) return value;
  return { ...object, [head]: rest.length === 0 ? value : withValueAt(object[head], rest, value) };
};

const operations = Object.entries(doc.paths).flatMap(([path, methods]) =>
  Object.entries(methods).map(([method, operation]) => ({ path, method, operation })),
);

/** The concrete path with acme's ids; a parameter named after an unknown resource fails. */
const concrete = (path: string, replacement?: string) =>
  path.replace(/\/([a-z-]+)\/\{([a-zA-Z]+)\}/g, (_, resource: string) => {
    const id = replacement ?? idsOf[resource];
    if (!id) throw new Error(`route-security: no ${resource} id for ${path}; add one to idsOf`);
    return `/${resource}/${id}`;
  });

const schemeOf = (operation: Operation) => {
  const names = (operation.security ?? []).flatMap((entry) => Object.keys(entry));
  if (names.includes("operator")) return "operator";
  if (names.includes("bearer") || names.includes("cookie")) return "session";
  return "public";
};

const bodySchemaOf = (operation: Operation) =>
  operation.requestBody?.content["application/json"]?.schema;

const UNSAFE = new Set(["post", "put", "patch", "delete"]);

type Call = Awaited<ReturnType<typeof api.call>>;

/** The answer is a 4xx this operation documents, with the contract's error body. */
const expectDocumentedError = (
  operation: Operation,
  result: Call,
  status: number | "4xx",
  code?: string,
) => {
  const summary = `${result.status} ${result.text.slice(0, 300)}`;
  if (status === "4xx") {
    expect(result.status >= 400 && result.status < 500, summary).toBe(true);
  } else {
    expect(result.status, summary).toBe(status);
  }
  expect(Object.keys(operation.responses), summary).toContain(String(result.status));
  expect(typeof result.json?.error?.code, summary).toBe("string");
  expect(typeof result.json?.error?.message, summary).toBe("string");
  if (code) expect(result.json.error.code, summary).toBe(code);
};

test("the document lists every operation this suite attacks", () => {
  expect(operations.length).toBeGreaterThanOrEqual(25);
  // Not behind a session: the two operator routes, login, health, and directory sign-in's
  // providers, start and callback.
  expect(operations.filter(({ operation }) => schemeOf(operation) !== "session").length).toBe(7);
});

for (const { path, method, operation } of operations) {
  const name = `${method.toUpperCase()} ${path}`;
  const scheme = schemeOf(operation);
  const bodySchema = bodySchemaOf(operation);
  const validBody = bodySchema ? sample(bodySchema) : undefined;
  const send = (init: Parameters<typeof api.call>[2] = {}, at = concrete(path)) =>
    api.call(method.toUpperCase(), at, { body: validBody, ...init });

  describe(name, () => {
    if (scheme !== "public") {
      test("without credentials: 401", async () => {
        expectDocumentedError(operation, await send(), 401, "unauthenticated");
      });

      test("with a forged token: 401", async () => {
        const forged = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString(
          "base64url",
        );
        expectDocumentedError(operation, await send({ token: forged }), 401, "unauthenticated");
      });
    }

    if (scheme === "operator") {
      test("with a user's session instead of the operator token: 401", async () => {
        expectDocumentedError(operation, await send({ token: acme.token }), 401);
      });
    }

    if (scheme === "session") {
      test("with an expired session: 401", async () => {
        expectDocumentedError(
          operation,
          await send({ token: expiredToken }),
          401,
          "unauthenticated",
        );
      });

      if (operation["x-permission"]) {
        test(`as a user without ${operation["x-permission"]}: 403`, async () => {
          expectDocumentedError(operation, await send({ token: plainToken }), 403, "forbidden");
        });
      }

      if (path.includes("{")) {
        test("as another tenant's administrator with this tenant's ids: 404", async () => {
          expectDocumentedError(operation, await send({ token: other.token }), 404, "not_found");
        });
      }

      if (UNSAFE.has(method)) {
        test("with the session cookie from another site: 403", async () => {
          const headers = { cookie: `roster_session=${acme.token}`, origin: "https://evil.test" };
          expectDocumentedError(operation, await send({ headers }), 403, "forbidden");
        });
      }
    }

    const token =
      scheme === "operator" ? OPERATOR_TOKEN : scheme === "session" ? acme.token : undefined;

    if (bodySchema) {
      test("malformed JSON: 400", async () => {
        const result = await send({ token, raw: '{"email": "a@b.c", ' });
        expectDocumentedError(operation, result, 400, "validation_failed");
      });

      const properties = Object.entries(resolve(bodySchema).properties ?? {});
      if (properties.length > 0) {
        test("wrong types: 400 naming the fields", async () => {
          const body = Object.fromEntries(
            properties.map(([key, property]) => [key, wrongTypeFor(property)]),
          );
          const result = await send({ token, body });
          expectDocumentedError(operation, result, 400, "validation_failed");
          const paths = result.json.error.details.map((issue: { path: string[] }) => issue.path[0]);
          expect(paths).toEqual(expect.arrayContaining(properties.map(([key]) => key)));
        });
      }

      for (const field of stringPaths(bodySchema)) {
        test(`an over-long ${field.join(".")}: 400`, async () => {
          const body = withValueAt(validBody, field, "x".repeat(100_000));
          const result = await send({ token, body });
          expectDocumentedError(operation, result, 400, "validation_failed");
          const paths = result.json.error.details.map((issue: { path: string[] }) =>
            issue.path.join("."),
          );
          expect(paths).toContain(field.join("."));
        });
      }
    }

    if (path.includes("{")) {
      test("an over-long id: 400", async () => {
        const result = await send({ token }, concrete(path, "x".repeat(1000)));
        expectDocumentedError(operation, result, 400, "validation_failed");
      });
    }

    for (const parameter of (operation.parameters ?? []).filter((p) => p.in === "query")) {
      const type = typeOf(parameter.schema);
      const wrong =
        type === "integer" || type === "number"
          ? "not-a-number"
          : resolve(parameter.schema).enum
            ? "not-an-option"
            : "x".repeat(10_000);
      test(`query ${parameter.name}=${wrong.slice(0, 16)}: 400`, async () => {
        const result = await send({ token }, `${concrete(path)}?${parameter.name}=${wrong}`);
        expectDocumentedError(operation, result, 400, "validation_failed");
      });
    }

    if (operation.parameters?.some((p) => p.in === "query" && p.name === "cursor")) {
      const encode = (text: string) => Buffer.from(text).toString("base64url");
      const cursors = {
        "not base64 JSON": "!!!",
        "decoding to Infinity": encode('[1e999,"usr_x"]'),
        "of the wrong types": encode("[1,2]"),
        "an object": encode('{"at":1,"id":"x"}'),
        null: encode("null"),
        "a fraction": encode('[1.5,"usr_x"]'),
      };
      for (const [what, cursor] of Object.entries(cursors)) {
        test(`a cursor ${what}: 400`, async () => {
          const result = await send({ token }, `${concrete(path)}?cursor=${cursor}`);
          expectDocumentedError(operation, result, 400, "validation_failed");
        });
      }
    }
  });
}
