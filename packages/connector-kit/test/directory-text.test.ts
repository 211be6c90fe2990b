import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import {
  type Connector,
  type ConnectorLogger,
  capLength,
  cleanText,
  createRegistry,
  type DirectoryUser,
  defineConnector,
  MAX_EMAIL_LENGTH,
  MAX_NAME_LENGTH,
  singleEmailAddress,
} from "../src/index.ts";
import { toyConnector, toySettings, toyUser } from "../src/testing/index.ts";

const codePoints = (text: string) => Array.from(text).length;

function recordingLog() {
  const warnings: Array<{ message: string; fields?: Record<string, unknown> }> = [];
  const log: ConnectorLogger = {
    debug() {},
    info() {},
    warn: (message, fields) => warnings.push({ message, fields }),
    error() {},
  };
  return { log, warnings };
}

async function readThroughRegistry(users: DirectoryUser[]) {
  const connector = createRegistry([toyConnector({ users, groups: [] })]).get("toy");
  if (!connector) throw new Error("toy connector missing");
  const { log, warnings } = recordingLog();
  const read: DirectoryUser[] = [];
  const settings = toySettings.parse({});
  for await (const page of connector.readUsers({
    settings,
    secret: "s",
    log,
    fields: ["username"],
  })) {
    read.push(...page);
  }
  return { read, warnings };
}

describe("text from a directory", () => {
  test("a lone surrogate, NUL and control characters never leave the kit", async () => {
    const { read } = await readThroughRegistry([
      toyUser("u1", {
        displayName: "Ann\ud800 Lee\u0000",
        givenName: "A\udc00nn\r\n",
        surname: "L\u0007ee",
        attributes: { username: "ann\ud800\u0000" },
      }),
    ]);
    const [user] = read;
    expect(user?.displayName).toBe("Ann\ufffd Lee");
    expect(user?.givenName).toBe("A\ufffdnn");
    expect(user?.surname).toBe("Lee");
    expect(user?.attributes.username).toBe("ann\ufffd");
  });

  test("names, emails and attributes are capped; a surrogate pair is never split", async () => {
    const long = "é".repeat(5000);
    const { read } = await readThroughRegistry([
      toyUser("u1", {
        displayName: long,
        givenName: `${"a".repeat(MAX_NAME_LENGTH - 1)}😀😀`,
        attributes: { username: long },
      }),
    ]);
    const [user] = read;
    expect(user?.displayName).toBe("é".repeat(MAX_NAME_LENGTH));
    expect(user?.givenName).toBe(`${"a".repeat(MAX_NAME_LENGTH - 1)}😀`);
    expect(user?.givenName?.isWellFormed()).toBe(true);
    expect(user?.attributes.username).toHaveLength(256);
    expect(capLength("😀😀😀", 2)).toBe("😀😀");
    expect(singleEmailAddress(`${"a".repeat(64)}@${"b".repeat(300)}.example`)).toBeNull();
    expect(singleEmailAddress(`${"a".repeat(65)}@b.example`)).toBeNull();
  });

  test("any string at all comes out well-formed, NUL-free and within the cap", () => {
    fc.assert(
      fc.property(
        fc.string({ unit: "binary", maxLength: 600 }),
        fc.integer({ min: 1, max: 300 }),
        (raw, max) => {
          const clean = cleanText(raw, max);
          if (clean === null) return;
          expect(clean.isWellFormed()).toBe(true);
          expect(clean.includes("\u0000")).toBe(false);
          expect(codePoints(clean)).toBeLessThanOrEqual(max);
        },
      ),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 400 }), (raw) => {
        const address = singleEmailAddress(raw);
        if (address === null) return;
        expect(address.isWellFormed()).toBe(true);
        expect(address.length).toBeLessThanOrEqual(MAX_EMAIL_LENGTH);
        expect(/[\s,;<>"]/.test(address)).toBe(false);
        expect(address.split("@")).toHaveLength(2);
      }),
      { numRuns: 2000 },
    );
  });
});

describe("the directory email", () => {
  test("one plain address is kept as it is", () => {
    for (const address of [
      "ann.lee@contoso.example",
      "O'Brien+sync@mail.contoso.co.uk",
      "ünïcode@bücher.example",
      "  padded@contoso.example ",
    ]) {
      expect(singleEmailAddress(address)).toBe(address.trim());
    }
  });

  test("header injection, lists, display names and other forms are refused", () => {
    for (const address of [
      "ann@contoso.example\r\nBcc: all@contoso.example",
      "ann@contoso.example\nx",
      "ann@contoso.example, bob@contoso.example",
      "ann@contoso.example;bob@contoso.example",
      "Ann Lee <ann@contoso.example>",
      '"ann lee"@contoso.example',
      "ann@[127.0.0.1]",
      "ann@localhost",
      "ann@@contoso.example",
      "ann@contoso..example",
      ".ann@contoso.example",
      "ann lee@contoso.example",
      "ann\u0000@contoso.example",
      "ann\ud800@contoso.example",
      "@contoso.example",
      "ann@",
      "",
    ]) {
      expect(singleEmailAddress(address)).toBeNull();
    }
  });

  test("a user whose mail is not one address reaches the engine with no email, and it is logged", async () => {
    const { read, warnings } = await readThroughRegistry([
      toyUser("u1", { email: "ann@contoso.example\r\nBcc: all@contoso.example" }),
      toyUser("u2", { email: "ann@contoso.example, bob@contoso.example" }),
      toyUser("u3", { email: "u3@contoso.example" }),
    ]);
    expect(read.map((user) => user.email)).toEqual([null, null, "u3@contoso.example"]);
    expect(warnings.map((warning) => warning.fields?.externalId)).toEqual(["u1", "u2"]);
    // The refused value itself is not logged.
    expect(JSON.stringify(warnings)).not.toContain("Bcc");
  });
});

describe("every connector is guarded", () => {
  test("a connector object that skipped defineConnector is guarded by the registry; groups too", async () => {
    const toy = toyConnector({ users: [], groups: [] });
    // What a third-party package might export without calling defineConnector.
    const plain: Connector<typeof toySettings> = {
      ...toy,
      async *readUsers() {
        yield [toyUser("u\u00001", { displayName: "Ann\ud800" })];
      },
      async readGroups() {
        return [
          { externalId: "g\u00001", name: `Team\ud800${"x".repeat(900)}`, memberIds: ["m\ud800"] },
        ];
      },
    };
    const connector = createRegistry([plain]).get("toy") as Connector<typeof toySettings>;
    const { log } = recordingLog();
    const input = { settings: toySettings.parse({}), secret: "s", log };
    const groups = await connector.readGroups(input, ["g1"]);
    expect(groups[0]?.externalId).toBe("g1");
    expect(groups[0]?.name).toBe(`Team\ufffd${"x".repeat(MAX_NAME_LENGTH - 5)}`);
    expect(groups[0]?.memberIds).toEqual(["m\ufffd"]);
    for await (const page of connector.readUsers({ ...input, fields: [] })) {
      expect(page.map((user) => [user.externalId, user.displayName])).toEqual([
        ["u1", "Ann\ufffd"],
      ]);
    }
    // Guarding twice costs nothing: a guarded connector is returned as it is.
    expect(defineConnector(connector)).toBe(connector);
  });
});
