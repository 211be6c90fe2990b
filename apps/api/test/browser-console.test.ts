import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { users } from "@roster/db";
import { and, eq, isNull } from "drizzle-orm";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { testApi } from "./support.ts";

/**
 * Issue 17, points 1–5, 8, 9 in Debian's Chromium at desktop and phone widths: preview as a
 * job, live run progress and Cancel, the run detail worked through, deletions confirmed from
 * the list and restored, failures and the secret on the card, one status area, side effects
 * said first, the bell. The browser runs in Los Angeles time, so a date-only value that
 * drifted a day would show.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const ROOT = join(import.meta.dir, "..", "..", "..");
const SHOTS = join(ROOT, process.env.ROSTER_SCREENSHOTS ?? ".screenshots");
const DESKTOP = { width: 1280, height: 900 };
const PHONE = { width: 390, height: 844 };

let api: Awaited<ReturnType<typeof testApi>>;
let server: ReturnType<typeof Bun.serve>;
let browser: Browser;
let context: BrowserContext;
let base: string;
let admin: Awaited<ReturnType<Awaited<ReturnType<typeof testApi>>["createTenant"]>>;
let connectionId: string;

/** A day a few days ahead, as the date picker gives it. */
const inDays = (days: number) =>
  new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
const shownDate = (day: string) =>
  new Date(`${day}T00:00:00Z`).toLocaleDateString("en-US", {
    timeZone: "UTC",
    year: "numeric",
    month: "short",
    day: "numeric",
  });

beforeAll(async () => {
  let app: { fetch: (request: Request, server: unknown) => Response | Promise<Response> } | null =
    null;
  server = Bun.serve({
    port: 0,
    fetch: (request, self) => app?.fetch(request, self) ?? new Response(null, { status: 503 }),
  });
  base = `http://localhost:${server.port}`;
  api = await testApi({ users: 60, publicUrl: base });
  app = api.app;
  admin = await api.createTenant("contoso");
  const created = await api.call("POST", "/api/user-sync/connections", {
    token: admin.token,
    body: {
      type: "entra-id",
      name: "Contoso",
      settings: {
        applicationId: api.entra.clientId,
        directoryId: api.entra.tenantId,
        users: "all",
        sendPinEmails: true,
        manageUserDeletion: true,
        deletionLimit: { percent: 1, minimum: 1 },
      },
      secret: api.entra.secret,
      secretExpiresAt: inDays(5),
    },
  });
  connectionId = created.json.id;
  await api.call("POST", `/api/user-sync/connections/${connectionId}/connect`, {
    token: admin.token,
  });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"],
  });
  context = await browser.newContext({
    viewport: DESKTOP,
    timezoneId: "America/Los_Angeles",
    locale: "en-US",
  });
  mkdirSync(SHOTS, { recursive: true });
});
afterAll(async () => {
  await context?.close();
  await browser?.close();
  server?.stop(true);
  await api?.stop();
});

const shoot = (page: Page, name: string) =>
  page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });

async function signIn(page: Page) {
  await page.goto(base);
  // The context keeps the session of an earlier test.
  const signedIn = await page
    .getByRole("heading", { name: "User synchronization" })
    .waitFor({ timeout: 3000 })
    .then(() => true)
    .catch(() => false);
  if (signedIn) return;
  await page.getByLabel("Tenant").fill("contoso");
  await page.getByLabel("Email").fill(admin.admin.email);
  await page.getByLabel("Password").fill(admin.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { name: "User synchronization" }).waitFor();
}

const card = (page: Page) => page.getByRole("region", { name: "Contoso" });

/** WCAG relative luminance contrast of an element's text against its panel's background. */
const contrastOf = (page: Page, selector: string) =>
  page.evaluate((selector) => {
    const parse = (color: string) => (color.match(/[\d.]+/g) ?? []).slice(0, 3).map(Number);
    const lum = ([r, g, b]: number[]) => {
      const [R, G, B] = [r, g, b].map((v) => {
        const c = (v ?? 0) / 255;
        return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
      });
      return 0.2126 * (R ?? 0) + 0.7152 * (G ?? 0) + 0.0722 * (B ?? 0);
    };
    const element = document.querySelector(selector) as HTMLElement;
    let back: Element | null = element;
    let background = "rgba(0, 0, 0, 0)";
    while (back && /rgba\(0, 0, 0, 0\)|transparent/.test(background)) {
      background = getComputedStyle(back).backgroundColor;
      back = back.parentElement;
    }
    const [a, b] = [lum(parse(getComputedStyle(element).color)), lum(parse(background))];
    return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
  }, selector);

describe("issue 17 in a real browser", () => {
  test("preview job, live progress and Cancel, side effects, card status, run detail, deletions, the bell", async () => {
    const page = await context.newPage();
    await signIn(page);

    // 5: the secret expiring in 5 days: an amber badge with the chosen day, in any time zone.
    const badge = card(page).getByTestId("secret-expiry");
    await expect(badge.getAttribute("class")).resolves.toContain("secret-expiring");
    await expect(badge.textContent()).resolves.toContain(shownDate(inDays(5)));

    // 8: before any preview, Sync now says what it will do and asks.
    await card(page).getByRole("button", { name: "Sync now" }).click();
    await expect(page.getByTestId("sync-side-effects").textContent()).resolves.toContain(
      "PIN email",
    );
    await page.getByTestId("sync-side-effects").getByRole("button", { name: "Back" }).click();

    // 1: a slow directory: the preview is a job with live progress, and it can be cancelled.
    api.sim.setFaults({ latencyMs: 6000 });
    await card(page).getByRole("button", { name: "Preview" }).click();
    const live = card(page).getByTestId("live-progress");
    await live.waitFor();
    await expect(live.textContent()).resolves.toContain("Previewing");
    await card(page).getByTestId("progress-phase").getByText("Reading the directory").waitFor();
    await shoot(page, "preview-progress-desktop");
    await live.getByRole("button", { name: "Cancel" }).click();
    await card(page)
      .getByRole("heading", { name: "Preview cancelled" })
      .waitFor({ timeout: 20_000 });
    api.sim.setFaults({});
    await card(page).getByRole("button", { name: "Preview" }).click();
    await card(page)
      .getByRole("heading", { name: /Preview — nothing was changed/ })
      .waitFor();
    // The result is kept: a reload shows it again without another read.
    await page.reload();
    await card(page)
      .getByRole("heading", { name: /Preview — nothing was changed/ })
      .waitFor();
    const created = Number(
      await card(page).locator(".preview [data-testid=count-created]").textContent(),
    );
    expect(created).toBeGreaterThan(50);

    // 8 + 2: Sync now names the PIN emails from the preview; the run shows live progress; Cancel.
    api.sim.setFaults({ latencyMs: 6000 });
    await card(page).getByRole("button", { name: "Sync now" }).click();
    await expect(page.getByTestId("sync-side-effects").textContent()).resolves.toContain(
      `send ${created} PIN emails`,
    );
    await page.getByTestId("sync-side-effects").getByRole("button", { name: "Sync now" }).click();
    // The preview made way for the run (it no longer describes what happens next).
    await expect(card(page).locator(".preview").count()).resolves.toBe(0);
    await card(page).getByRole("heading", { name: "Running now" }).waitFor();
    await card(page).getByTestId("progress-phase").getByText("Reading the directory").waitFor();
    await expect(card(page).getByTestId("progress-elapsed").textContent()).resolves.toMatch(
      /\d+ s/,
    );
    await shoot(page, "run-progress-desktop");
    await card(page).getByRole("button", { name: "Cancel" }).click();
    await card(page).locator("[data-testid=last-run] .pill.cancelled").waitFor({ timeout: 30_000 });
    await expect(card(page).getByTestId("last-run-error").textContent()).resolves.toContain(
      "nobody was deleted",
    );
    api.sim.setFaults({});
    // The emails phase: PIN emails are queued with the users a run wrote (a cancelled run keeps
    // the page it had decided) and delivered after it; the card says how far delivery got.
    const shownRun = (
      await api.call("GET", `/api/user-sync/connections/${connectionId}`, { token: admin.token })
    ).json.lastRun;
    if (shownRun.emails.pending > 0)
      await expect(card(page).getByTestId("card-emails").textContent()).resolves.toBe(
        `Sending PIN emails: 0 sent, ${shownRun.emails.pending} waiting.`,
      );
    else await expect(card(page).getByTestId("card-emails").count()).resolves.toBe(0);

    // A full run, then 3: the run detail, worked through.
    await card(page).getByRole("button", { name: "Sync now" }).click();
    await page.getByTestId("sync-side-effects").getByRole("button", { name: "Sync now" }).click();
    await card(page)
      .locator("[data-testid=last-run] .pill.completed_with_errors")
      .waitFor({ timeout: 15_000 });
    const runLink = card(page).getByRole("link", { name: "Run details" });
    const runHref = (await runLink.getAttribute("href")) as string;
    const runId = runHref.split("/").at(-1) as string;
    await runLink.click();
    await page.getByRole("heading", { name: /Run of/ }).waitFor();
    const run = (await api.call("GET", `/api/user-sync/runs/${runId}`, { token: admin.token }))
      .json;
    await expect(page.getByTestId("total-failure").textContent()).resolves.toBe(
      String(run.totals.failures),
    );
    await expect(page.getByTestId("reasons").textContent()).resolves.toContain("no email");
    const failures = page.getByTestId("issues-failure");
    await failures.locator("tbody tr").first().waitFor();
    // Searching narrows the list (debounced), the CSV link carries the same filter.
    const first = run.failures.find((f: { email: string | null }) => f.email) ?? run.failures[0];
    const term = (first.email ?? first.externalId) as string;
    await failures.getByLabel("Search failures").fill(term.toUpperCase());
    for (let i = 0; i < 50 && (await failures.locator("tbody tr").count()) !== 1; i += 1)
      await Bun.sleep(100);
    await expect(failures.locator("tbody tr").count()).resolves.toBe(1);
    const csvHref = (await page.getByTestId("export-failure").getAttribute("href")) as string;
    expect(csvHref).toContain(`query=${encodeURIComponent(term.toUpperCase())}`);
    const csv = await page.evaluate((href) => fetch(href).then((r) => r.text()), csvHref);
    expect(csv.trimEnd().split("\r\n")).toHaveLength(2);
    // Grouped by reason: one click filters to it.
    await failures.getByLabel("Search failures").fill("");
    await page.getByTestId("reasons").getByRole("button").first().click();
    await failures.getByText("show all reasons").waitFor();
    await shoot(page, "run-issues-desktop");
    // A finished run is not polled any more.
    const polls: string[] = [];
    const onRequest = (request: { url(): string }) => {
      if (request.url().endsWith(`/api/user-sync/runs/${runId}`)) polls.push(request.url());
    };
    page.on("request", onRequest);
    await Bun.sleep(4500);
    page.off("request", onRequest);
    expect(polls).toEqual([]);

    // 4: six users leave the directory, over the limit: the run waits for review.
    const synced = await api.deps.db.db
      .select()
      .from(users)
      .where(and(eq(users.connectionId, connectionId), isNull(users.deletedAt)));
    const leaving = synced.filter((user) => user.externalId).slice(0, 6);
    api.directory
      .find(api.entra.tenantId)
      ?.deleteUsers(leaving.map((user) => user.externalId as string));
    await page.goto(`${base}/#/sync`);
    await card(page).getByRole("button", { name: "Sync now" }).click();
    const effects = page.getByTestId("sync-side-effects");
    if (await effects.isVisible().catch(() => false))
      await effects.getByRole("button", { name: "Sync now" }).click();
    await card(page)
      .locator("[data-testid=last-run] .pill.needs_review")
      .waitFor({ timeout: 15_000 });
    // 5: the reason is on the card.
    await expect(card(page).getByTestId("last-run-error").textContent()).resolves.toContain(
      "6 users would be deleted",
    );
    await card(page).getByTestId("review-deletions").click();
    const review = page.getByRole("region", { name: "Deletions to confirm" });
    const pending = review.getByTestId("issues-pending_deletion");
    await pending.locator("tbody tr").first().waitFor();
    await expect(pending.locator("tbody tr").count()).resolves.toBe(6);
    await pending.getByLabel("Search users to delete").fill(leaving[0]?.email as string);
    for (let i = 0; i < 50 && (await pending.locator("tbody tr").count()) !== 1; i += 1)
      await Bun.sleep(100);
    await expect(pending.locator("tbody tr").count()).resolves.toBe(1);
    await shoot(page, "deletion-review-desktop");
    await review.getByRole("button", { name: "Confirm 6 deletions…" }).click();
    await review.getByTestId("confirm-all").click();
    await page
      .locator(".pill.succeeded, .pill.completed_with_errors")
      .first()
      .waitFor({ timeout: 15_000 });
    await expect(page.getByTestId("count-deleted").first().textContent()).resolves.toBe("6");

    // Users › Deleted: the six, each with Restore.
    await page.goto(`${base}/#/users`);
    await page.getByLabel("Deleted users").selectOption("only");
    const rows = page.getByTestId("users").locator("tbody tr");
    for (let i = 0; i < 50 && (await rows.count()) !== 6; i += 1) await Bun.sleep(100);
    await expect(rows.count()).resolves.toBe(6);
    await shoot(page, "users-deleted-desktop");
    await rows.first().getByRole("button", { name: "Restore" }).click();
    await page.getByText("was restored").waitFor();
    for (let i = 0; i < 50 && (await rows.count()) !== 5; i += 1) await Bun.sleep(100);
    await expect(rows.count()).resolves.toBe(5);

    // 5: an expired secret: a red badge; the run fails and the card says why.
    await api.call("PATCH", `/api/user-sync/connections/${connectionId}`, {
      token: admin.token,
      body: { secretExpiresAt: inDays(-2) },
    });
    await api.call("POST", `/api/user-sync/connections/${connectionId}/sync`, {
      token: admin.token,
    });
    await api.deps.tracker.idle();
    await page.goto(`${base}/#/sync`);
    await expect(card(page).getByTestId("secret-expiry").getAttribute("class")).resolves.toContain(
      "secret-expired",
    );
    await expect(card(page).getByTestId("last-run-error").textContent()).resolves.toContain(
      "secret expired",
    );
    // 8: the kept preview is older than the runs since: not shown as if it still held.
    await expect(card(page).locator(".preview").count()).resolves.toBe(0);
    await shoot(page, "card-expired-desktop");

    // 9: the bell — every item links to its run or connection, keys, Escape, outside click.
    await page.getByRole("button", { name: /Notifications/ }).click();
    const panel = page.getByRole("region", { name: "Notifications" });
    await panel.getByRole("link").first().waitFor();
    // Every notification so far is in the panel (it polls every 4 s): the order holds from here.
    const total = (await api.call("GET", "/api/notifications?limit=20", { token: admin.token }))
      .json.items.length;
    for (let i = 0; i < 100 && (await panel.getByRole("link").count()) < total; i += 1)
      await Bun.sleep(100);
    await page.keyboard.press("Escape");
    await page.getByRole("button", { name: /Notifications/ }).click();
    await panel.getByRole("link").first().waitFor();
    const hrefs = await panel
      .getByRole("link")
      .evaluateAll((links) => links.map((link) => link.getAttribute("href")));
    expect(hrefs.length).toBeGreaterThan(0);
    for (const href of hrefs) expect(href).toMatch(/^#\/(runs\/run_|sync\?connection=con_)/);
    await expect(panel.textContent()).resolves.toMatch(/users failed|needs review|failed/);
    expect(await contrastOf(page, ".menu .mark-all")).toBeGreaterThanOrEqual(4.5);
    for (const text of [".menu a.note strong", ".menu a.note span", ".menu a.note small"])
      expect(await contrastOf(page, text)).toBeGreaterThanOrEqual(4.5);
    const focused = () => page.evaluate(() => document.activeElement?.getAttribute("href"));
    await expect(focused()).resolves.toBe(hrefs[0]);
    await page.keyboard.press("ArrowDown");
    await expect(focused()).resolves.toBe(hrefs[1] ?? hrefs[0]);
    await page.keyboard.press("ArrowUp");
    await expect(focused()).resolves.toBe(hrefs[0]);
    await shoot(page, "bell-keyboard-desktop");
    await page.keyboard.press("Escape");
    await expect(panel.count()).resolves.toBe(0);
    await expect(page.evaluate(() => document.activeElement?.id)).resolves.toBe("bell-button");
    await page.getByRole("button", { name: /Notifications/ }).click();
    await panel.getByRole("link").first().waitFor();
    // The panel has focus once its listeners are in place.
    await page.waitForFunction(() => document.activeElement?.classList.contains("note"));
    await page.mouse.click(5, 600);
    await panel.waitFor({ state: "detached", timeout: 2000 });
    await page.close();
  }, 150_000);

  test("at phone width: the card, live progress with Cancel, the run detail and the bell fit", async () => {
    const page = await context.newPage();
    await page.setViewportSize(PHONE);
    await signIn(page);
    const fits = async (selector: string) => {
      const box = await page.locator(selector).first().boundingBox();
      expect(box).not.toBeNull();
      expect(box?.x ?? -1).toBeGreaterThanOrEqual(0);
      expect((box?.x ?? 0) + (box?.width ?? 0)).toBeLessThanOrEqual(PHONE.width);
    };
    await api.call("PATCH", `/api/user-sync/connections/${connectionId}`, {
      token: admin.token,
      body: { secretExpiresAt: inDays(5) },
    });
    await page.reload();
    api.sim.setFaults({ latencyMs: 6000 });
    await card(page).getByRole("button", { name: "Sync now" }).click();
    const effects = page.getByTestId("sync-side-effects");
    await effects.waitFor();
    await fits("[data-testid=sync-side-effects]");
    await effects.getByRole("button", { name: "Sync now" }).click();
    await card(page).getByTestId("live-progress").waitFor();
    await fits("[data-testid=live-progress]");
    await shoot(page, "run-progress-phone");
    await card(page).getByRole("button", { name: "Cancel" }).click();
    await card(page).locator("[data-testid=last-run] .pill.cancelled").waitFor({ timeout: 30_000 });
    api.sim.setFaults({});
    await card(page).getByRole("link", { name: "Run details" }).click();
    await page.getByRole("heading", { name: /Run of/ }).waitFor();
    await shoot(page, "run-issues-phone");
    await page.getByRole("button", { name: /Notifications/ }).click();
    await page.getByRole("region", { name: "Notifications" }).getByRole("link").first().waitFor();
    await fits(".menu");
    await shoot(page, "bell-phone");
    await page.close();
  }, 90_000);
});
