import AxeBuilder from "@axe-core/playwright";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { expect, type Page, test } from "@playwright/test";
import { dialog, login, logout, logins, unique } from "./fixtures";
import { openPage, trpcMutation, trpcQuery } from "./pages";

/**
 * Self-service templates in Chromium: register one from a URL (a server this spec starts on
 * 127.0.0.1, which scripts/e2e-server.ts allows with STRATUS_TEMPLATE_URL_ALLOW_CIDRS), upload one
 * with the progress bar, share one with a sub-domain and see it there and nowhere else, and axe at
 * desktop and phone width.
 */
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "stratus-e2e-images-"));
const small = path.join(dir, "small.qcow2");
// Preallocated, so the file is a few chunks long and the progress bar moves.
const big = path.join(dir, "upload-me.qcow2");
let server: http.Server;
let base = "";

test.beforeAll(async () => {
  execFileSync("qemu-img", ["create", "-f", "qcow2", small, "32M"], { stdio: "ignore" });
  execFileSync("qemu-img", ["create", "-f", "qcow2", "-o", "preallocation=full", big, "10M"], { stdio: "ignore" });
  server = http.createServer((req, res) => {
    const file = path.join(dir, path.basename(req.url ?? "/"));
    if (!fs.existsSync(file)) return res.writeHead(404).end();
    res.writeHead(200, { "content-length": String(fs.statSync(file).size) });
    fs.createReadStream(file).pipe(res);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
test.afterAll(async () => {
  await new Promise((r) => server.close(r));
  fs.rmSync(dir, { recursive: true, force: true });
});

const row = (page: Page, name: string) => page.getByTestId(`image-${name}`);

test("a tenant registers a template from a URL and uploads one with a progress bar", async ({ page }) => {
  test.setTimeout(120_000);
  await login(page, logins.tenant.username, logins.tenant.password);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Templates" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Templates" })).toBeVisible();

  const fromUrl = unique("from-url");
  await page.getByRole("button", { name: "Register from URL" }).click();
  const reg = dialog(page, "Register template from URL");
  await reg.getByLabel("URL").fill(`${base}/small.qcow2`);
  await reg.getByLabel("Name").fill(fromUrl);
  await reg.getByLabel("Zone").selectOption({ label: "Zone 1" });
  await reg.getByRole("button", { name: "Register" }).click();
  await expect(reg).toBeHidden();
  await expect(row(page, fromUrl).getByText("Ready")).toBeVisible({ timeout: 30_000 });

  // The upload: chunks slowed down a little, so the bar is seen between 0 and 100 %.
  await page.route("**/api/uploads/**", async (route) => {
    if (route.request().method() === "PUT") await new Promise((r) => setTimeout(r, 400));
    await route.continue();
  });
  const uploaded = unique("uploaded");
  await page.getByRole("button", { name: "Upload template" }).click();
  const up = dialog(page, "Upload template");
  await up.getByLabel("File").setInputFiles(big);
  await up.getByLabel("Name").fill(uploaded);
  await up.getByLabel("Zone").selectOption({ label: "Zone 1" });
  await up.getByRole("button", { name: "Upload" }).click();
  const bar = up.getByRole("progressbar", { name: "Upload progress" });
  await expect(bar).toBeVisible();
  await expect.poll(async () => Number(await bar.getAttribute("aria-valuenow"))).toBeGreaterThan(0);
  await expect(up).toBeHidden({ timeout: 60_000 });
  await expect(row(page, uploaded).getByText("Ready")).toBeVisible();
  await expect(row(page, uploaded).getByText("Private")).toBeVisible();
});

test("shared with a sub-domain: seen there, and not by the tenant of a sibling domain", async ({ page }) => {
  test.setTimeout(120_000);
  // The reseller makes a sub-domain of Acme Cloud with a tenant in it.
  await login(page, logins.reseller.username, logins.reseller.password);
  const tree = await trpcQuery<{ id: string; name: string }[]>(page, "domain.tree", undefined);
  const acme = tree.find((d) => d.name === "Acme Cloud")!;
  const teamName = unique("team");
  const team = await trpcMutation<{ id: string }>(page, "domain.create", { parentId: acme.id, name: teamName });
  const teamUser = { username: unique("teamuser"), password: "password-team-user" };
  await trpcMutation(page, "account.create", { domainId: team.id, name: unique("team-dev"), type: "user", ...teamUser });
  await logout(page);

  // The tenant (Acme Cloud) registers a template.
  await login(page, logins.tenant.username, logins.tenant.password);
  const zones = await trpcQuery<{ zones: { id: string; name: string }[] }>(page, "instance.deployChoices", undefined);
  const shared = unique("for-team");
  await trpcMutation(page, "template.registerFromUrl", {
    name: shared,
    osType: "Other Linux (64-bit)",
    zoneId: zones.zones.find((z) => z.name === "Zone 1")!.id,
    format: "qcow2",
    url: `${base}/small.qcow2`,
  });
  await openPage(page, "/templates");
  await expect(row(page, shared).getByText("Ready")).toBeVisible({ timeout: 30_000 });
  await logout(page);

  // The reseller shares it with the sub-domain from the row menu.
  await login(page, logins.reseller.username, logins.reseller.password);
  await openPage(page, "/templates");
  await page.getByRole("button", { name: `Actions for template ${shared}` }).click();
  await page.getByRole("menuitem", { name: "Share…" }).click();
  const share = dialog(page, `Share ${shared}`);
  await share.getByLabel(new RegExp(`${teamName}$`)).check();
  await share.getByRole("button", { name: "Save sharing" }).click();
  await expect(share).toBeHidden();
  await expect(row(page, shared).getByText("Shared (1)")).toBeVisible();
  await logout(page);

  await login(page, teamUser.username, teamUser.password);
  await openPage(page, "/templates");
  await expect(row(page, shared)).toBeVisible();
  await expect(row(page, shared).getByText("Shared with you")).toBeVisible();
  await logout(page);

  await login(page, logins.globex.username, logins.globex.password);
  await openPage(page, "/templates");
  await expect(page.getByRole("heading", { level: 1, name: "Templates" })).toBeVisible();
  await expect(row(page, shared)).toHaveCount(0);
});

test("a tenant copies a template to another zone from the row menu, and it is offered there", async ({ page }) => {
  test.setTimeout(120_000);
  await page.setViewportSize({ width: 1440, height: 900 });
  // The root admin adds a second zone with a secondary store.
  await login(page, logins.admin.username, logins.admin.password);
  const zoneName = unique("Zone copy");
  const zone = await trpcMutation<{ id: string }>(page, "zone.create", { name: zoneName });
  const store = unique("secondary-copy");
  await trpcMutation(page, "secondaryStore.create", { zoneId: zone.id, name: store, path: `sim://${store}`, capacityGib: 100 });
  await logout(page);

  await login(page, logins.tenant.username, logins.tenant.password);
  const zones = await trpcQuery<{ zones: { id: string; name: string }[] }>(page, "instance.deployChoices", undefined);
  const name = unique("copied");
  await trpcMutation(page, "template.registerFromUrl", {
    name,
    osType: "Other Linux (64-bit)",
    zoneId: zones.zones.find((z) => z.name === "Zone 1")!.id,
    format: "qcow2",
    url: `${base}/upload-me.qcow2`,
  });
  await openPage(page, "/templates");
  await expect(row(page, name).getByText("Ready")).toBeVisible({ timeout: 30_000 });
  await page.getByRole("button", { name: `Actions for template ${name}` }).click();
  await page.getByRole("menuitem", { name: "Copy to zone…" }).click();
  const copy = dialog(page, `Copy ${name} to another zone`);
  await copy.getByLabel("To zone").selectOption({ label: zoneName });
  await copy.getByRole("button", { name: "Copy" }).click();
  await expect(copy).toBeHidden();
  // The job's toast follows it; the row lists the zone once the copy is Ready.
  await expect(row(page, name).getByText(`+ ${zoneName}`)).toBeVisible({ timeout: 30_000 });
  await expect(row(page, name).getByText("Copying")).toHaveCount(0, { timeout: 30_000 });
  const inZone = await trpcQuery<{ id: string; name: string }[]>(page, "template.list", { zoneId: zone.id });
  expect(inZone.map((t) => t.name)).toContain(name);
  // Asked again for the same zone: the dialog no longer offers it.
  await page.getByRole("button", { name: `Actions for template ${name}` }).click();
  await page.getByRole("menuitem", { name: "Copy to zone…" }).click();
  const again = dialog(page, `Copy ${name} to another zone`);
  await expect(again.getByLabel("To zone").locator("option", { hasText: zoneName })).toHaveCount(0);
  await again.getByRole("button", { name: "Cancel" }).click();
});

const axe = (page: Page) => new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]).analyze();
const violations = async (page: Page) =>
  (await axe(page)).violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(" | ")}`);

for (const [label, size] of [
  ["1280 px", { width: 1280, height: 800 }],
  ["390 px", { width: 390, height: 844 }],
] as const) {
  test(`the Templates page and its dialogs at ${label}: no axe violations, nothing wider than the screen`, async ({ page }) => {
    await page.setViewportSize(size);
    await login(page, logins.tenant.username, logins.tenant.password);
    await openPage(page, "/templates");
    expect(await violations(page)).toEqual([]);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(size.width);
    await page.getByRole("button", { name: "Upload template" }).click();
    await expect(dialog(page, "Upload template").getByLabel("File")).toBeVisible();
    expect(await violations(page)).toEqual([]);
    await page.keyboard.press("Escape");
    await page.getByRole("button", { name: "Register from URL" }).click();
    await expect(dialog(page, "Register template from URL").getByLabel("URL")).toBeVisible();
    expect(await violations(page)).toEqual([]);
  });
}
