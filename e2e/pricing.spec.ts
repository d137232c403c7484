import { expect, test } from "@playwright/test";
import { login, logins, logout, nav, unique } from "./fixtures";
import { openPage, trpcMutation, trpcQuery } from "./pages";
import { axe } from "./running-vm";

/**
 * Pricing end to end: the reseller raises its margin on the Pricing page, and its tenant's deploy
 * wizard prices the chosen VM at the new retail price (the demo's wholesale list: Small = 1 vCPU ×
 * 0.012 + 1 GiB RAM × 0.004 per hour, Tiny Linux's 1 GiB root disk × 0.0001 per GiB-hour), then
 * deploys it. (Rated amounts on the Usage page, the statement and the CSV need a complete usage
 * period: e2e/bill.spec.ts covers them on a server with 1-minute periods.)
 */
test("a reseller sets its margin and its tenant's deploy wizard shows the price", async ({ page }) => {
  for (const width of [1280, 390]) {
    await page.setViewportSize({ width, height: 900 });
    await login(page, logins.reseller.username, logins.reseller.password);
    if (width === 1280) await nav(page).getByRole("link", { name: "Pricing" }).click();
    await openPage(page, "/pricing");
    await expect(page.getByTestId("pricing-upstream")).toContainText("Wholesale");
    await expect(page.getByTestId("price-list-facts")).toContainText("EUR");
    if (width === 1280) {
      await page.getByLabel("New margin (%)").fill("50");
      await page.getByRole("button", { name: "Change margin" }).click();
      await expect(page.getByRole("table", { name: "Margins" })).toContainText("50 %");
      expect(await axe(page)).toEqual([]);
    }
    await page.screenshot({ path: `test-results/e2e/pricing-reseller-${width}.png`, fullPage: true });
    await logout(page);
  }

  await page.setViewportSize({ width: 1280, height: 900 });
  await login(page, logins.tenant.username, logins.tenant.password);
  await openPage(page, "/instances/new");
  await page.getByRole("radiogroup", { name: "Template" }).getByRole("radio", { name: "Tiny Linux" }).check();
  await page.getByRole("radiogroup", { name: "Compute offering" }).getByRole("radio", { name: "Small" }).check();
  // (0.012 + 0.004 + 0.0001) × 1.5 = 0.02415 per hour; × 730 = 17.6295 per month.
  await expect(page.getByTestId("deploy-price-hourly")).toHaveText("€0.0242");
  await expect(page.getByTestId("deploy-price-monthly")).toHaveText("€17.63");
  await page.getByRole("spinbutton", { name: "Count" }).fill("2");
  await expect(page.getByTestId("deploy-price-monthly")).toHaveText("€35.26");
  await page.getByRole("spinbutton", { name: "Count" }).fill("1");
  await page.screenshot({ path: "test-results/e2e/pricing-deploy-1280.png", fullPage: true });
  await page.setViewportSize({ width: 390, height: 900 });
  await expect(page.getByTestId("deploy-price-hourly")).toBeVisible();
  await page.screenshot({ path: "test-results/e2e/pricing-deploy-390.png", fullPage: true });
  await page.setViewportSize({ width: 1280, height: 900 });
  const name = unique("priced");
  await page.getByLabel("Name", { exact: true }).fill(name);
  await page.getByRole("button", { name: "Deploy", exact: true }).click();
  await expect(page).toHaveURL(/\/instances\/[0-9a-f-]{36}$/);
  const id = page.url().split("/").pop()!;

  // The usage report has the amount column, and tenants have no Pricing page.
  await openPage(page, "/usage");
  await expect(page.getByRole("columnheader", { name: "Amount" })).toBeVisible();
  await expect(nav(page).getByRole("link", { name: "Pricing" })).toHaveCount(0);

  // Give the tenant's limits back (later specs deploy under the same account): destroy and expunge.
  const state = () => trpcQuery<{ state: string }>(page, "instance.get", { id }).then((vm) => vm.state);
  await expect.poll(state, { timeout: 60_000 }).toBe("running");
  await trpcMutation(page, "instance.destroy", { id });
  await expect.poll(state, { timeout: 60_000 }).toBe("destroyed");
  await trpcMutation(page, "instance.expunge", { id });
  await expect
    .poll(() => state().catch((e: Error) => (/NOT_FOUND/.test(e.message) ? "gone" : e.message)), { timeout: 60_000 })
    .toBe("gone");
});
