import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import { testApi } from "./support.ts";

/** Debian's Chromium, installed by .ci/run; never a downloaded browser. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const SHOTS = join(import.meta.dir, "..", "..", "..", "docs", "screenshots");

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
  api = await testApi({ users: 60, app: { publicUrl: base } });
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
    await page.getByLabel("Application (client) ID").fill("not-a-guid");
    await page.getByLabel("Directory (tenant) ID").fill(api.entra.tenantId);
    await page.getByLabel("Groups", { exact: true }).selectOption("selected");
    await page.getByLabel("Ids").fill(`${api.entra.groups.nestedRoot}, ${api.entra.groups.sample}`);
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
    await page.getByTestId("connect-error").waitFor();
    await expect(page.getByTestId("connect-error").textContent()).resolves.toContain(
      "invalid secret",
    );
    await page.getByRole("button", { name: "Edit" }).click();
    await page.getByLabel("Application secret (client secret value)").fill(api.entra.secret);
    await page.getByRole("button", { name: "Save" }).click();
    await page.getByRole("button", { name: "Connect" }).click();
    await page.getByText("Connected: the credentials").waitFor();
    await expect(page.getByTestId("connection-status").textContent()).resolves.toBe("connected");

    // Preview, then Sync now and watch the run finish.
    await page.getByRole("button", { name: "Preview" }).click();
    await page.getByRole("heading", { name: /Preview/ }).waitFor();
    await expect(page.locator(".preview [data-testid=count-created]").textContent()).resolves.toBe(
      "63",
    );
    await page.getByRole("button", { name: "Sync now" }).click();
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
    await page.getByRole("menuitem").first().waitFor();
    await expect(page.getByRole("menu").textContent()).resolves.toContain("made changes");
    await shoot(page, "notifications-desktop");
    await page.getByRole("menuitem").first().click();

    // The run detail lists the users that failed, with reasons.
    await page.getByRole("heading", { name: /Run of/ }).waitFor();
    await expect(page.getByTestId("failures").textContent()).resolves.toContain("no email address");
    await shoot(page, "run-detail-desktop");

    // Auto-sync: switched on, with the next run time.
    await page.goto(`${base}/#/sync`);
    await page.getByRole("switch", { name: "Synchronize automatically" }).check();
    await expect(page.getByTestId("next-run").textContent()).resolves.toContain("next run");

    // The users appear, filterable by tag.
    await page.goto(`${base}/#/users`);
    await page.getByLabel("Tag").selectOption("AD synced");
    await page.getByTestId("users").getByText("Directory (microsoft)").first().waitFor();
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
