import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { users } from "@roster/db";
import { and, eq, isNull } from "drizzle-orm";
import { type Browser, chromium, type Page } from "playwright-core";
import { testApi } from "./support.ts";

/** Debian's Chromium, installed by .ci/run; never a downloaded browser. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const ROOT = join(import.meta.dir, "..", "..", "..");
/**
 * Screenshots go to the ignored `.screenshots/` unless asked to refresh the README's:
 * `ROSTER_SCREENSHOTS=docs/screenshots bun run test` (relative to the repository root).
 */
const SHOTS = join(ROOT, process.env.ROSTER_SCREENSHOTS ?? ".screenshots");

let api: Awaited<ReturnType<typeof testApi>>;
let server: ReturnType<typeof Bun.serve>;
let browser: Browser;
let base: string;
let admin: Awaited<ReturnType<Awaited<ReturnType<typeof testApi>>["createTenant"]>>;

beforeAll(async () => {
  // The port comes first: the app needs its public URL (the CSRF origin) when it is built.
  let app: { fetch: (request: Request, server: unknown) => Response | Promise<Response> } | null =
    null;
  server = Bun.serve({
    port: 0,
    fetch: (request, self) => app?.fetch(request, self) ?? new Response(null, { status: 503 }),
  });
  base = `http://localhost:${server.port}`;
  api = await testApi({ users: 60, publicUrl: base, google: { users: 40 } });
  app = api.app;
  admin = await api.createTenant("contoso");
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--no-first-run",
    ],
  });
  mkdirSync(SHOTS, { recursive: true });
});
afterAll(async () => {
  await browser?.close();
  server?.stop(true);
  await api?.stop();
});

const shoot = async (page: Page, name: string) => {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
};

describe("admin UI in a real browser", () => {
  test("the whole user-sync flow against the Entra simulator", async () => {
    expect(existsSync(CHROMIUM)).toBe(true);
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on("dialog", (dialog) => void dialog.accept());

    // Sign in.
    await page.goto(base);
    await page.getByLabel("Tenant").fill("contoso");
    await page.getByLabel("Email").fill(admin.admin.email);
    await page.getByLabel("Password").fill("wrong-password");
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page.getByRole("alert").textContent()).resolves.toContain("not right");
    await shoot(page, "login-desktop");
    await page.getByLabel("Password").fill(admin.password);
    await page.getByRole("button", { name: "Sign in" }).click();

    // The catalog: Entra ID and Google Workspace, both to set up.
    await page.getByRole("heading", { name: "User synchronization" }).waitFor();
    await page.getByRole("button", { name: "Set up Google Workspace" }).waitFor();
    await page.getByRole("button", { name: "Set up Microsoft Entra ID" }).click();

    // Fill the form generated from the settings schema; a bad id is shown inline.
    await page.getByText("Add a platform → Web").first().waitFor();
    await page.getByLabel("Application (client) ID").fill("not-a-guid");
    await page.getByLabel("Directory (tenant) ID").fill(api.entra.tenantId);
    await page.getByLabel("Groups", { exact: true }).selectOption("selected");
    await page
      .getByLabel("Groups to synchronize")
      .fill(`${api.entra.groups.nestedRoot}, ${api.entra.groups.sample}`);
    await page.getByLabel("Application secret (client secret value)").fill("a-wrong-secret");
    await page.getByRole("button", { name: "Save" }).click();
    await page.locator(".field-error").first().waitFor();
    await expect(page.locator("#field-applicationId-error").textContent()).resolves.toContain(
      "GUID",
    );
    await shoot(page, "settings-validation-desktop");
    await page.getByLabel("Application (client) ID").fill(api.entra.clientId);
    await page.getByLabel("Send PIN emails").check();
    await page.getByRole("button", { name: "Save" }).click();
    await expect(page.getByTestId("connection-status").textContent()).resolves.toBe("draft");

    // Connect with the wrong secret: the precise error; fix it; connect.
    await page.getByRole("button", { name: "Connect" }).click();
    await page.getByTestId("card-status").getByText("invalid secret").waitFor();
    // Said once, in the card's one status area (it was shown twice).
    await expect(page.locator(".card").getByText("invalid secret").count()).resolves.toBe(1);
    await page.getByRole("button", { name: "Edit" }).click();
    await page.getByLabel("Application secret (client secret value)").fill(api.entra.secret);
    await page.getByRole("button", { name: "Save" }).click();
    await page.getByRole("button", { name: "Connect" }).click();
    await page.getByText("Connected: the credentials").waitFor();
    await expect(page.getByTestId("connection-status").textContent()).resolves.toBe("connected");
    // Sign-in's redirect URI, to add to the app registration (the form's help says where).
    await expect(page.getByTestId("redirect-uri").inputValue()).resolves.toBe(
      `${base}/api/auth/sso/microsoft/callback`,
    );

    // Preview, then Sync now and watch the run finish.
    await page.getByRole("button", { name: "Preview" }).click();
    await page.getByRole("heading", { name: /Preview — nothing was changed/ }).waitFor();
    await expect(page.locator(".preview [data-testid=count-created]").textContent()).resolves.toBe(
      "63",
    );
    await page.getByRole("button", { name: "Sync now" }).click();
    // PIN emails are on: the side effect is said before the run, from the preview.
    await expect(page.getByTestId("sync-side-effects").textContent()).resolves.toContain(
      "send 63 PIN emails",
    );
    await page.getByTestId("sync-side-effects").getByRole("button", { name: "Sync now" }).click();
    await page
      .locator("[data-testid=last-run] .pill.completed_with_errors")
      .waitFor({ timeout: 15_000 });
    await expect(
      page.locator("[data-testid=last-run] [data-testid=count-created]").textContent(),
    ).resolves.toBe("63");
    await shoot(page, "user-sync-desktop");

    // The bell: a notification about the run.
    await page.getByTestId("unread-count").waitFor({ timeout: 10_000 });
    await page.getByRole("button", { name: /Notifications/ }).click();
    const panel = page.getByRole("region", { name: "Notifications" });
    await panel.getByRole("link").first().waitFor();
    // A run where users failed is titled by its failures.
    await expect(panel.textContent()).resolves.toMatch(/\d+ users failed/);
    await shoot(page, "notifications-desktop");
    await panel.getByRole("link").first().click();

    // The run detail lists the users that failed, with reasons.
    await page.getByRole("heading", { name: /Run of/ }).waitFor();
    // The list loads after the page: wait for the row, not for the first render.
    await page
      .getByTestId("issues-failure")
      .getByText(/no email address/)
      .first()
      .waitFor();
    await shoot(page, "run-detail-desktop");

    // Auto-sync: switched on, with the next run time.
    await page.goto(`${base}/#/sync`);
    await page.getByRole("switch", { name: "Synchronize automatically" }).check();
    // Waits for the saved schedule (reading the text at once raced the request).
    await page.getByTestId("next-run").filter({ hasText: "next run" }).waitFor();

    // The users appear, filterable by tag.
    await page.goto(`${base}/#/users`);
    await page.getByLabel("Tag").selectOption("AD synced");
    await page.getByTestId("users").getByText("Microsoft Entra ID (Microsoft)").first().waitFor();
    await shoot(page, "users-desktop");

    // Phone width: the same pages stay usable.
    await page.setViewportSize({ width: 390, height: 844 });
    await shoot(page, "users-phone");
    await page.goto(`${base}/#/sync`);
    await page.getByTestId("connection-status").waitFor();
    await shoot(page, "user-sync-phone");

    // Delete the connection (the confirmation is accepted); its users stay.
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.getByRole("button", { name: "Delete" }).click();
    await page.getByRole("button", { name: "Set up Microsoft Entra ID" }).waitFor();
    const users = await api.call("GET", "/api/users?tag=AD%20synced&limit=500", {
      token: admin.token,
    });
    expect(users.json.items).toHaveLength(63);
    await page.close();
  }, 90_000);

  test("Sign in with Microsoft: the sign-in page, the directory's page, back signed in", async () => {
    // A second Roster tenant synced from the same directory, set up through the API.
    const northwind = await api.createTenant("northwind");
    const created = await api.call("POST", "/api/user-sync/connections", {
      token: northwind.token,
      body: {
        type: "entra-id",
        name: "Contoso Entra ID",
        settings: { applicationId: api.entra.clientId, directoryId: api.entra.tenantId },
        secret: api.entra.secret,
      },
    });
    const connectionId = created.json.id as string;
    await api.call("POST", `/api/user-sync/connections/${connectionId}/connect`, {
      token: northwind.token,
    });
    await api.call("POST", `/api/user-sync/connections/${connectionId}/sync`, {
      token: northwind.token,
    });
    await api.deps.tracker.idle();
    const synced = await api.deps.db.db
      .select()
      .from(users)
      .where(and(eq(users.connectionId, connectionId), isNull(users.deletedAt)));
    const tenant = api.directory.find(api.entra.tenantId);
    const inPicker = (tenant?.sortedUsers() ?? []).slice(0, 20).map((user) => user.id);
    const plain = synced.find((user) => inPicker.includes(user.externalId as string));
    const manager = synced.find((user) => user !== plain && user.firstName && user.lastName);
    if (!plain || !manager) throw new Error("no synced users");
    await api.call("PATCH", `/api/users/${manager.id}`, {
      token: northwind.token,
      body: { roles: ["Administrator"] },
    });
    const managerUpn = tenant?.getUser(manager.externalId as string)?.userPrincipalName as string;

    // The simulator's certificate is self-signed (Chromium does not read NODE_EXTRA_CA_CERTS).
    const page = await browser.newPage({
      viewport: { width: 1280, height: 900 },
      ignoreHTTPSErrors: true,
    });
    // The sign-in page offers Microsoft once the tenant is known.
    await page.goto(base);
    await page.getByLabel("Tenant").fill("northwind");
    await page.getByLabel("Email").fill(managerUpn);
    const button = page.getByRole("link", { name: "Sign in with Microsoft" });
    await button.waitFor();
    await shoot(page, "sign-in-microsoft-desktop");

    // The directory's page, the login hint prefilled; Next signs the administrator in.
    await button.click();
    await page.getByText("Contoso (simulated)").waitFor();
    await expect(page.getByLabel("Email, phone, or Skype").inputValue()).resolves.toBe(managerUpn);
    await shoot(page, "entra-sign-in-desktop");
    await page.getByRole("button", { name: "Next" }).click();
    await page.getByRole("heading", { name: "User synchronization" }).waitFor();
    expect(new URL(page.url()).origin).toBe(base);
    await expect(page.locator(".navbar").textContent()).resolves.toContain(manager.email);
    await shoot(page, "signed-in-with-microsoft-desktop");

    // Sign out; a plain user picks their account on the directory's page and lands on it.
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByLabel("Tenant").fill("northwind");
    await page.getByRole("link", { name: "Sign in with Microsoft" }).click();
    await page.locator(`button[name=user][value="${plain.externalId}"]`).click();
    await page.getByRole("heading", { name: "Your account" }).waitFor();
    await expect(page.getByTestId("account-email").textContent()).resolves.toBe(plain.email);
    await expect(page.getByTestId("account-sign-in").textContent()).resolves.toContain("Microsoft");
    await shoot(page, "account-desktop");

    // A disabled account is refused on the directory's page; a user Roster deleted is sent
    // back with a sentence and no session.
    await page
      .getByRole("region", { name: "Your account" })
      .getByRole("button", { name: "Sign out" })
      .click();
    await page.getByLabel("Tenant").fill("northwind");
    await page.getByRole("link", { name: "Sign in with Microsoft" }).click();
    await page.getByLabel("Email, phone, or Skype").fill(`former.employee@${api.entra.domain}`);
    await page.getByRole("button", { name: "Next" }).click();
    await expect(page.locator("[data-aadsts]").textContent()).resolves.toContain("AADSTS50057");
    const noMailbox = api.entra.edgeCases.noMailUsesUpn;
    const refusedUpn = tenant?.getUser(noMailbox)?.userPrincipalName as string;
    expect(synced.some((user) => user.externalId === noMailbox)).toBe(true);
    await api.call("DELETE", `/api/users/${synced.find((u) => u.externalId === noMailbox)?.id}`, {
      token: northwind.token,
    });
    await page.goto(base);
    await page.getByLabel("Tenant").fill("northwind");
    await page.getByRole("link", { name: "Sign in with Microsoft" }).click();
    await page.getByLabel("Email, phone, or Skype").fill(refusedUpn);
    await page.getByRole("button", { name: "Next" }).click();
    await page.getByRole("alert").waitFor();
    await expect(page.getByRole("alert").textContent()).resolves.toContain(
      "Roster has no active account for you",
    );
    expect(page.url()).not.toContain("signInError");
    await shoot(page, "sign-in-error-desktop");

    // Phone width: the sign-in page with its button.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.getByLabel("Tenant").fill("northwind");
    await page.getByRole("link", { name: "Sign in with Microsoft" }).waitFor();
    await shoot(page, "sign-in-microsoft-phone");
    await page.close();
  }, 90_000);
});

describe("Google Workspace in a real browser", () => {
  test("the Google card, connect with the key file, Preview, Sync now, automatic sync, then Sign in with Google", async () => {
    const google = api.google;
    if (!google) throw new Error("no Google simulator");
    const globex = await api.createTenant("globex");
    // The simulator's certificate is self-signed (Chromium does not read NODE_EXTRA_CA_CERTS).
    const page = await browser.newPage({
      viewport: { width: 1280, height: 900 },
      ignoreHTTPSErrors: true,
    });
    page.on("dialog", (dialog) => void dialog.accept());
    await page.goto(base);
    await page.getByLabel("Tenant").fill("globex");
    await page.getByLabel("Email").fill(globex.admin.email);
    await page.getByLabel("Password").fill(globex.password);
    await page.getByRole("button", { name: "Sign in" }).click();

    // The Google Workspace card: its settings form, generated from the connector's schema.
    await page.getByRole("heading", { name: "User synchronization" }).waitFor();
    await page.getByRole("button", { name: "Set up Google Workspace" }).click();
    await page.getByLabel("Administrator to impersonate").fill(google.ws.adminEmail);
    await expect(page.getByLabel("Customer ID").inputValue()).resolves.toBe("my_customer");
    await page.getByLabel("Groups", { exact: true }).fill(google.ws.groupEmails.sample);
    await page.getByLabel("Sign-in OAuth client ID").fill(google.ws.oauthClient.clientId);
    const secretField = page.getByLabel("Service account key (JSON)", { exact: false });
    // A key file cut short is refused at save, inline, with what is wrong.
    await secretField.fill('{"type": "service_account", "private_key": "-----BEGIN');
    await page.getByRole("button", { name: "Save" }).click();
    await page.locator(".field-error").first().waitFor();
    await expect(page.locator(".field-error").first().textContent()).resolves.toContain(
      "not valid JSON",
    );
    await shoot(page, "google-settings-desktop");
    // The key file as Google downloads it (pretty-printed), with the sign-in client's secret.
    await secretField.fill(
      JSON.stringify(
        {
          serviceAccountKey: google.ws.serviceAccountKey,
          signInClientSecret: google.ws.oauthClient.clientSecret,
        },
        null,
        2,
      ),
    );
    await page.getByRole("button", { name: "Save" }).click();
    await expect(page.getByTestId("connection-status").textContent()).resolves.toBe("draft");
    await page.getByRole("button", { name: "Connect" }).click();
    await page.getByText("Connected: the credentials").waitFor();
    await expect(page.getByTestId("connection-status").textContent()).resolves.toBe("connected");
    await expect(page.getByTestId("redirect-uri").inputValue()).resolves.toBe(
      `${base}/api/auth/sso/google/callback`,
    );

    // Preview, then Sync now: every active user but the one without names (it fails, as in
    // Entra); suspended and archived users are skipped.
    const active = [...google.model.users.values()].filter((u) => !u.suspended && !u.archived);
    await page.getByRole("button", { name: "Preview" }).click();
    await page.getByRole("heading", { name: /Preview/ }).waitFor();
    await expect(page.locator(".preview [data-testid=count-created]").textContent()).resolves.toBe(
      String(active.length - 1),
    );
    await page.getByRole("button", { name: "Sync now" }).click();
    await page
      .locator("[data-testid=last-run] .pill.completed_with_errors")
      .waitFor({ timeout: 15_000 });
    await expect(
      page.locator("[data-testid=last-run] [data-testid=count-created]").textContent(),
    ).resolves.toBe(String(active.length - 1));
    await shoot(page, "google-synced-desktop");
    // Automatic sync, as for Entra: switched on, with the next run time.
    await page.getByRole("switch", { name: "Synchronize automatically" }).check();
    await page.getByTestId("next-run").filter({ hasText: "next run" }).waitFor();
    const connections = await api.call("GET", "/api/user-sync/connections", {
      token: globex.token,
    });
    const connectionId = connections.json.items[0].id as string;
    const synced = await api.deps.db.db
      .select()
      .from(users)
      .where(and(eq(users.connectionId, connectionId), isNull(users.deletedAt)));
    expect(synced).toHaveLength(active.length - 1);
    const offered = google.model
      .sortedUsers()
      .filter((u) => !u.suspended && !u.archived && !u.isAdmin)
      .slice(0, 20)
      .map((u) => u.id);
    const person = synced.find((user) => offered.includes(user.externalId as string));
    if (!person) throw new Error("no synced user in the account chooser");

    // Sign out; the sign-in page offers Google for this tenant.
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByLabel("Tenant").fill("globex");
    const button = page.getByRole("link", { name: "Sign in with Google" });
    await button.waitFor();
    await shoot(page, "sign-in-google-desktop");

    // Google's account chooser (the simulator's), limited to the Workspace's domain (hd).
    await button.click();
    await page.getByRole("heading", { name: "Choose an account" }).waitFor();
    expect(new URL(page.url()).origin).toBe(google.sim.url);
    await shoot(page, "google-account-chooser-desktop");
    await page.locator(`button[name=account][value="${person.email}"]`).click();

    // Back on Roster, signed in as that user (no administration role: their own page).
    await page.getByRole("heading", { name: "Your account" }).waitFor();
    expect(new URL(page.url()).origin).toBe(base);
    await expect(page.getByTestId("account-email").textContent()).resolves.toBe(person.email);
    await expect(page.getByTestId("account-sign-in").textContent()).resolves.toContain("Google");
    await shoot(page, "signed-in-with-google-desktop");

    // Cancel on the chooser comes back with a sentence and no session.
    await page
      .getByRole("region", { name: "Your account" })
      .getByRole("button", { name: "Sign out" })
      .click();
    await page.getByLabel("Tenant").fill("globex");
    await page.getByRole("link", { name: "Sign in with Google" }).click();
    await page.getByRole("button", { name: "Cancel" }).click();
    await page.getByRole("alert").waitFor();
    expect(new URL(page.url()).origin).toBe(base);
    expect(page.url()).not.toContain("signInError");
    await page.close();
  }, 90_000);
});

describe("Content-Security-Policy in a real browser", () => {
  test("the API reference renders from this origin alone, with no policy violation", async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const violations: string[] = [];
    const foreign: string[] = [];
    page.on("console", (message) => {
      if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
    });
    page.on("request", (request) => {
      if (!request.url().startsWith(base) && !request.url().startsWith("data:")) {
        foreign.push(request.url());
      }
    });
    await page.goto(`${base}/api/docs`);
    const rendered = await page
      .getByText("Create a tenant with its first administrator")
      .first()
      .waitFor({ timeout: 40_000 })
      .then(() => true)
      .catch(() => false);
    expect({ rendered, violations, foreign }).toEqual({
      rendered: true,
      violations: [],
      foreign: [],
    });
    await page.close();
  }, 60_000);
});
