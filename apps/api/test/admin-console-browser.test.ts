import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { users } from "@roster/db";
import { and, eq, isNull } from "drizzle-orm";
import { type Browser, chromium, type Page } from "playwright-core";
import { testApi } from "./support.ts";

/**
 * Issue 17, part B, in Debian's Chromium at desktop and phone widths: validation in the
 * browser, the alias example, the group picker, the users list and a user's page, provision
 * on demand, keyboard and screen-reader behaviour, and axe on every screen.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const ROOT = join(import.meta.dir, "..", "..", "..");
const SHOTS = join(ROOT, process.env.ROSTER_SCREENSHOTS ?? ".screenshots");
const AXE = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

let api: Awaited<ReturnType<typeof testApi>>;
let server: ReturnType<typeof Bun.serve>;
let browser: Browser;
let base: string;
let admin: Awaited<ReturnType<Awaited<ReturnType<typeof testApi>>["createTenant"]>>;
let connectionId: string;

beforeAll(async () => {
  let app: { fetch: (request: Request, server: unknown) => Response | Promise<Response> } | null =
    null;
  server = Bun.serve({
    port: 0,
    fetch: (request, self) => app?.fetch(request, self) ?? new Response(null, { status: 503 }),
  });
  base = `http://localhost:${server.port}`;
  api = await testApi({ users: 40, publicUrl: base });
  app = api.app;
  admin = await api.createTenant("fabrikam");
  // A synced connection with one selected group, set up through the API.
  const created = await api.call("POST", "/api/user-sync/connections", {
    token: admin.token,
    body: {
      type: "entra-id",
      name: "Contoso directory",
      settings: {
        applicationId: api.entra.clientId,
        directoryId: api.entra.tenantId,
        groups: { mode: "selected", ids: [api.entra.groups.sample] },
        aliasTemplate: "%mailNickname%",
      },
      secret: api.entra.secret,
    },
  });
  connectionId = created.json.id;
  await api.call("POST", `/api/user-sync/connections/${connectionId}/connect`, {
    token: admin.token,
  });
  await api.call("POST", `/api/user-sync/connections/${connectionId}/sync`, {
    token: admin.token,
  });
  await api.deps.tracker.idle();
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"],
  });
  mkdirSync(SHOTS, { recursive: true });
});
afterAll(async () => {
  await browser?.close();
  server?.stop(true);
  await api?.stop();
});

/** Runs axe in the page; fails on any serious or critical violation, naming it. */
async function expectAccessible(page: Page, screen: string) {
  await page.addScriptTag({ content: AXE });
  const violations = (await page.evaluate(async () => {
    const axe = (
      window as unknown as {
        axe: {
          run: (context: Document) => Promise<{
            violations: { id: string; impact: string; nodes: { target: string[] }[] }[];
          }>;
        };
      }
    ).axe;
    const result = await axe.run(document);
    return result.violations.map((violation) => ({
      id: violation.id,
      impact: violation.impact,
      targets: violation.nodes.slice(0, 3).map((node) => node.target.join(" ")),
    }));
  })) as { id: string; impact: string; targets: string[] }[];
  const grave = violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  expect({ screen, grave }).toEqual({ screen, grave: [] });
}

const focusedId = (page: Page) => page.evaluate(() => document.activeElement?.id ?? "");

const WIDTHS = [
  {
    name: "desktop",
    viewport: { width: 1280, height: 900 },
    groupQuery: "eng",
    groupName: "Engineering",
  },
  {
    name: "phone",
    viewport: { width: 390, height: 844 },
    groupQuery: "fie",
    groupName: "Field engineers",
  },
] as const;

describe("the admin console in a real browser", () => {
  for (const width of WIDTHS) {
    test(`${width.name}: users, a user's page, provision, groups, not found, the settings form`, async () => {
      const shoot = (name: string) =>
        page.screenshot({ path: join(SHOTS, `${name}-${width.name}.png`), fullPage: true });
      // The test injects axe's script, which the Content-Security-Policy would refuse.
      const context = await browser.newContext({ viewport: width.viewport, bypassCSP: true });
      const page = await context.newPage();
      page.on("dialog", (dialog) => void dialog.accept());

      await page.goto(base);
      await page.waitForFunction((title) => document.title === title, "Sign in · Roster");
      await page.getByLabel("Tenant").fill("fabrikam");
      await page.getByLabel("Email").fill(admin.admin.email);
      await page.getByLabel("Password").fill(admin.password);
      await page.getByRole("button", { name: "Sign in" }).click();
      await page.getByRole("heading", { name: "User synchronization" }).waitFor();
      await page.waitForFunction(
        (title) => document.title === title,
        "User synchronization · Roster",
      );

      // 11. The skip link is the first stop of the keyboard and lands on the page's heading.
      await page.keyboard.press("Tab");
      await expect(page.evaluate(() => document.activeElement?.textContent)).resolves.toBe(
        "Skip to main content",
      );
      await page.keyboard.press("Enter");
      await expect(page.evaluate(() => document.activeElement?.tagName)).resolves.toBe("H1");
      // 7. The card names its groups; a synced group opens its members.
      await page.getByTestId("card-groups").getByRole("link", { name: "Pilot users" }).waitFor();
      await expectAccessible(page, "user synchronization");
      await page.getByTestId("card-groups").getByRole("link", { name: "Pilot users" }).click();
      await page.getByRole("heading", { name: "Pilot users" }).waitFor();
      await page.waitForFunction((title) => document.title === title, "Group members · Roster");
      const pilot = api.directory.find(api.entra.tenantId)?.groups.get(api.entra.groups.sample);
      const syncedPilots = (
        await api.deps.db.db
          .select()
          .from(users)
          .where(and(eq(users.connectionId, connectionId), isNull(users.deletedAt)))
      ).filter((user) => pilot?.memberIds.includes(user.externalId as string));
      await page
        .getByTestId("member-count")
        .filter({ hasText: `${syncedPilots.length} members` })
        .waitFor();
      await expectAccessible(page, "group members");
      await shoot("group-members");

      // 10. Users: the total, a debounced search kept in the URL, filters, sorting, empty state.
      await page.goto(`${base}/#/users`);
      const total = await api.call("GET", "/api/users?limit=1", { token: admin.token });
      await page
        .getByTestId("user-total")
        .filter({ hasText: `${total.json.total} users` })
        .waitFor();
      await expectAccessible(page, "users");
      const someone = syncedPilots[0];
      if (!someone) throw new Error("no synced pilot");
      await page.getByLabel("Search").pressSequentially(someone.email.slice(0, 6), { delay: 30 });
      await page.waitForFunction(
        (q) => location.hash.includes(`query=${q}`),
        someone.email.slice(0, 6),
      );
      await page.getByLabel("Sign-in method").selectOption("microsoft");
      await page.getByRole("button", { name: "Email" }).click();
      await page.waitForFunction(() => location.hash.includes("sort=email"));
      await expect(
        page.getByRole("columnheader", { name: "Email" }).getAttribute("aria-sort"),
      ).resolves.toBe("ascending");
      // A reload keeps the search, the filter and the sort.
      await page.reload();
      await expect(page.getByLabel("Search").inputValue()).resolves.toBe(someone.email.slice(0, 6));
      await expect(page.getByLabel("Sign-in method").inputValue()).resolves.toBe("microsoft");
      await page.getByTestId("users").getByText(someone.email).waitFor();
      await shoot("users");
      await page.getByLabel("Search").fill("no-such-user-anywhere");
      await page.getByTestId("users-empty").waitFor();
      await expectAccessible(page, "users, empty");
      await page.getByRole("button", { name: "Clear the filters" }).click();
      await page.getByTestId("users").waitFor();

      // 10 + 12. A user's page, and provision on demand from it.
      await page.goto(`${base}/#/users/${someone.id}`);
      await page.getByTestId("user-facts").waitFor();
      await page.getByTestId("user-sign-in").filter({ hasText: "Microsoft" }).waitFor();
      await page.getByTestId("user-source").filter({ hasText: "Contoso directory" }).waitFor();
      await page
        .getByTestId("user-external-id")
        .filter({ hasText: someone.externalId as string })
        .waitFor();
      await page.getByTestId("user-groups").getByRole("link", { name: "Pilot users" }).waitFor();
      await page.getByTestId("user-changes").getByText("created").waitFor();
      const directoryUser = api.directory
        .find(api.entra.tenantId)
        ?.getUser(someone.externalId as string);
      if (!directoryUser) throw new Error("no directory user");
      directoryUser.surname = `Changed${width.name}`;
      await page.getByRole("button", { name: "Check (writes nothing)" }).click();
      await page.getByTestId("explanation").waitFor();
      await expect(
        page.getByRole("heading", { name: /^Would be updated/ }).isVisible(),
      ).resolves.toBe(true);
      // The result takes the focus, so a screen reader reads it out.
      await expect(focusedId(page)).resolves.toBe("explanation-title");
      await page.getByRole("button", { name: "Provision now" }).click();
      await page.getByRole("heading", { name: /^Updated/ }).waitFor();
      await page
        .getByTestId("explanation-match")
        .filter({ hasText: "Matched by directory id" })
        .waitFor();
      await page
        .getByTestId("explanation-changes")
        .filter({ hasText: `Changed${width.name}` })
        .waitFor();
      await page.getByTestId("explanation-rule").filter({ hasText: "brought in step" }).waitFor();
      await page.getByTestId("user-changes").getByText("provision on demand").first().waitFor();
      await expectAccessible(page, "user, provisioned");
      await shoot("user-provisioned");

      // 12. By email, from the provision page.
      await page.goto(`${base}/#/provision?connection=${connectionId}`);
      await page.waitForFunction(
        (title) => document.title === title,
        "Provision on demand · Roster",
      );
      await page
        .getByLabel("Email or directory id")
        .fill(directoryUser.mail ?? directoryUser.userPrincipalName);
      await page.getByRole("button", { name: "Check (writes nothing)" }).click();
      await page.getByTestId("explanation").waitFor();
      await expect(page.getByText("Nothing was written.").isVisible()).resolves.toBe(true);
      await expectAccessible(page, "provision on demand");
      await page.getByLabel("Email or directory id").fill("nobody@nowhere.example");
      await page.getByRole("button", { name: "Provision now" }).click();
      await page
        .getByTestId("provision-error")
        .filter({ hasText: "no user with the email nobody@nowhere.example" })
        .waitFor();

      // 11. An unknown route says so, with its own title.
      await page.goto(`${base}/#/no/such/page`);
      await page.getByRole("heading", { name: "Page not found" }).waitFor();
      await page.waitForFunction((title) => document.title === title, "Page not found · Roster");
      await expectAccessible(page, "not found");

      // The runs list and a run's detail pass axe too.
      await page.goto(`${base}/#/connections/${connectionId}/runs`);
      await page.getByRole("heading", { name: "Runs" }).waitFor();
      await expectAccessible(page, "runs");
      await page.getByRole("link").filter({ hasText: /\d/ }).first().click();
      await page.getByRole("heading", { name: /Run of/ }).waitFor();
      await expectAccessible(page, "run detail");
      // 12. Any failed user of a run, explained: what the run recorded, and why.
      const runs = await api.call("GET", `/api/user-sync/connections/${connectionId}/runs`, {
        token: admin.token,
      });
      const full = runs.json.items.find((run: { trigger: string }) => run.trigger === "manual");
      await page.goto(`${base}/#/runs/${full.id}`);
      await page
        .getByRole("link", { name: /^Why: / })
        .first()
        .click();
      await page.getByRole("heading", { name: "Why this user?" }).waitFor();
      await page.getByTestId("run-recorded").filter({ hasText: "failure" }).waitFor();
      await page.getByTestId("explanation-rule").waitFor();
      await expectAccessible(page, "a run's user explained");

      // 6. The settings form: Edit puts the keyboard in it; every error at once, the first focused.
      await page.goto(`${base}/#/sync`);
      await page.getByRole("button", { name: "Edit" }).click();
      await expect(focusedId(page)).resolves.toBe("field-name");
      await page.getByLabel("Name", { exact: true }).fill("x".repeat(127));
      await page.getByLabel("Application (client) ID").fill("not-a-guid");
      await page.getByLabel("Percent of users").fill("");
      await page.getByRole("button", { name: "Save" }).click();
      await page.getByTestId("form-message").waitFor();
      await page
        .getByTestId("form-message")
        .filter({ hasText: "3 fields need attention." })
        .waitFor();
      await page
        .locator("#field-name-error")
        .filter({ hasText: "Use at most 100 characters (this has 127)." })
        .waitFor();
      await page
        .locator("#field-applicationId-error")
        .filter({ hasText: "must be a GUID" })
        .waitFor();
      await page
        .locator("#field-deletionLimit-percent-error")
        .filter({ hasText: "Enter a number from 0 to 100 (the default is 10)." })
        .waitFor();
      await expect(focusedId(page)).resolves.toBe("field-name");
      await expect(
        page.getByLabel("Name", { exact: true }).getAttribute("aria-invalid"),
      ).resolves.toBe("true");
      await expect(
        page.getByLabel("Name", { exact: true }).getAttribute("aria-describedby"),
      ).resolves.toBe("field-name-error");
      await expectAccessible(page, "settings with errors");
      await shoot("settings-errors");
      // Nothing was saved: the server still has the old name and percent.
      const stored = await api.call("GET", `/api/user-sync/connections/${connectionId}`, {
        token: admin.token,
      });
      expect(stored.json.name).toBe("Contoso directory");

      // 6. The alias template: an unmatched % refused live; real users' aliases shown.
      const template = page.getByLabel("Source fields for aliases");
      await template.fill("%givenName");
      await page
        .getByTestId("alias-example")
        .filter({ hasText: "has a % without its closing %" })
        .waitFor();
      await template.fill("%givenName%.%surname%");
      // The first real user's given name and surname, joined as the template says.
      const first = api.directory
        .find(api.entra.tenantId)
        ?.sortedUsers()
        .find((user) => user.accountEnabled !== false);
      const expected = `${first?.givenName}.${first?.surname}`;
      await page.getByTestId("example-aliases").filter({ hasText: expected }).first().waitFor();
      await template.fill("%mailNickname%");

      // 7. The group picker: the selected group by name; search the directory and add one.
      await page.getByTestId("chosen-groups").filter({ hasText: "Pilot users" }).waitFor();
      await page.getByRole("searchbox", { name: "Groups to synchronize" }).fill(width.groupQuery);
      await page.getByRole("button", { name: `Add ${width.groupName}` }).click();
      await page.getByTestId("chosen-groups").filter({ hasText: width.groupName }).waitFor();
      await expect(focusedId(page)).resolves.toBe("field-groups-ids");
      await expectAccessible(page, "settings, group picker");
      await shoot("group-picker");

      // Fix the fields; Save gives the keyboard back to Edit.
      await page.getByLabel("Name", { exact: true }).fill(`Contoso directory`);
      await page.getByLabel("Application (client) ID").fill(api.entra.clientId);
      await page.getByLabel("Percent of users").fill("10");
      await page.getByRole("button", { name: "Save" }).click();
      await page.getByRole("button", { name: "Edit" }).waitFor();
      await expect(page.evaluate(() => document.activeElement?.textContent)).resolves.toBe("Edit");
      const saved = await api.call("GET", `/api/user-sync/connections/${connectionId}`, {
        token: admin.token,
      });
      expect(saved.json.settings.groups.ids).toContain(api.entra.groups.sample);
      expect(saved.json.settings.groups.ids).toHaveLength(width.name === "desktop" ? 2 : 3);
      expect(saved.json.settings.deletionLimit.percent).toBe(10);
      // A scope change returns the connection to draft: connect again for the next width.
      await page.getByRole("button", { name: "Connect" }).click();
      await page.getByText("Connected: the credentials").waitFor();
      await context.close();
    }, 120_000);
  }
});
