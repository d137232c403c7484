import { expect, test } from "@playwright/test";
import { login, logins, selectDomain } from "./fixtures";

/**
 * Not a test of behaviour: renders the identity pages to PNG files for a human to look at.
 * Runs only with SCREENSHOTS=<folder> (e.g. SCREENSHOTS=/tmp npx playwright test screenshots).
 */
const dir = process.env.SCREENSHOTS;
if (!dir) throw new Error("set SCREENSHOTS=<folder> to render page screenshots");

test("identity pages, as root admin", async ({ page }) => {
  await page.setViewportSize({ width: 1366, height: 900 });
  await login(page, logins.admin.username, logins.admin.password);
  const shot = (name: string) => page.screenshot({ path: `${dir}/stratus-${name}.png`, fullPage: true });

  await expect(page.getByRole("list", { name: "Resource limits" })).toBeVisible();
  await expect(page.getByRole("region", { name: "Summary" }).getByRole("link", { name: /^Domains \d+/ })).toBeVisible();
  await shot("dashboard");
  await page.goto("/domains");
  await selectDomain(page, "Acme Cloud");
  await expect(page.getByRole("table", { name: "Accounts in this domain" })).toBeVisible();
  await expect(page.getByRole("list", { name: "Resource limits" })).toBeVisible();
  await shot("domains");
  await page.getByRole("button", { name: "Edit limits" }).click();
  await shot("domain-limits-edit");
  await page.getByRole("button", { name: "Delete" }).click();
  await page.getByRole("button", { name: "Delete domain" }).click();
  await expect(page.getByRole("dialog").getByRole("alert")).toBeVisible();
  await shot("domain-delete-refused");
  await page.keyboard.press("Escape");

  await page.goto("/accounts");
  await expect(page.getByRole("link", { name: "acme-dev" })).toBeVisible();
  await shot("accounts");
  await page.getByRole("button", { name: "Add account" }).click();
  await page.getByRole("button", { name: "Create account" }).click();
  await shot("account-add-errors");
  await page.keyboard.press("Escape");
  await page.getByRole("link", { name: "acme-dev" }).click();
  await expect(page.getByRole("heading", { name: "acme-dev", level: 1 })).toBeVisible();
  await expect(page.getByRole("list", { name: "Resource limits" })).toBeVisible();
  await shot("account-detail");

  await page.goto("/users");
  await expect(page.getByRole("cell", { name: "tenant", exact: true })).toBeVisible();
  await page.getByRole("button", { name: "Actions for tenant" }).click();
  await shot("users");
  await page.keyboard.press("Escape");

  await page.goto("/events");
  await expect(page.getByRole("table", { name: "events" }).getByRole("row").nth(1)).toBeVisible();
  await shot("events");
  await page.goto("/settings");
  await shot("settings");

  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto("/domains");
  await expect(page.getByRole("heading", { name: "ROOT", level: 2 })).toBeVisible();
  await shot("domains-mobile");
});

test("resource pages at 1280 px and on a phone, as root admin", async ({ page }) => {
  test.setTimeout(180_000);
  await login(page, logins.admin.username, logins.admin.password);
  const pages = [
    "/infrastructure/zones",
    "/infrastructure/hosts",
    "/infrastructure/storage",
    "/offerings/compute",
    "/events",
    "/instances",
    "/infrastructure/hosts",
  ];
  for (const width of [1280, 390]) {
    await page.setViewportSize({ width, height: 900 });
    for (const path of pages.slice(0, 6)) {
      await page.goto(path);
      await expect(page.getByRole("heading", { level: 1 })).toBeVisible();
      await expect(page.locator(".animate-pulse")).toHaveCount(0);
      await page.screenshot({ path: `${dir}/kit-${width}-${path.replace(/\//g, "_")}.png`, fullPage: true });
    }
    await page.goto("/infrastructure/hosts");
    await page.getByRole("table", { name: "hosts" }).getByRole("link", { name: "sim-host-1", exact: true }).click();
    await expect(page.getByRole("table", { name: "VMs on this host" })).toBeVisible();
    await page.screenshot({ path: `${dir}/kit-${width}-host-page.png`, fullPage: true });
    await page.goto("/infrastructure/hosts");
    await page.getByRole("button", { name: "Actions for host sim-host-1" }).click();
    await page.screenshot({ path: `${dir}/kit-${width}-host-menu.png` });
    await page.keyboard.press("Escape");
    await page.getByRole("button", { name: "Add host" }).click();
    await page.screenshot({ path: `${dir}/kit-${width}-add-host.png` });
  }
});
