import { expect, test, type Page } from "@playwright/test";
import { login, logins, logout } from "./fixtures";
import { openPage } from "./pages";

/**
 * Billing, as the tenant and its provider see it: a low-balance policy set by the admin shows the
 * tenant a banner (balance, thresholds) and its Billing page; a credit from the admin makes the
 * banner go; the statement prints. Screenshots at 1280 and 390 px in test-results/e2e/billing-*.
 */
const shot = (page: Page, name: string) => page.screenshot({ path: `test-results/e2e/billing-${name}.png`, fullPage: true });

test("low-balance banner, tenant billing page, admin credit lifts it, statement prints", async ({ page }) => {
  test.setTimeout(120_000);
  await page.setViewportSize({ width: 1280, height: 900 });
  // The admin sets Acme Cloud's policy: notify below 5 EUR, refuse deployments below 2.
  await login(page, logins.admin.username, logins.admin.password);
  await openPage(page, "/billing");
  await page.getByLabel("Domain").selectOption({ label: "ROOT / Acme Cloud" });
  await page.getByLabel("Notify below").fill("5");
  await page.getByLabel("Refuse deployments below").fill("2");
  await page.getByRole("button", { name: "Save policy" }).click();
  await expect(page.getByText("Policy saved")).toBeVisible();
  await logout(page);

  // The tenant (balance 0) sees the banner on every page, and its Billing page.
  await login(page, logins.tenant.username, logins.tenant.password);
  const banner = page.getByTestId("balance-banner");
  await expect(banner).toContainText("Low balance: account acme-dev has 0.00 EUR");
  await expect(banner).toContainText("Below 2.00 EUR new deployments and starts of stopped VMs are refused — this applies now");
  for (const width of [1280, 390]) {
    await page.setViewportSize({ width, height: 900 });
    await openPage(page, "/billing");
    await expect(page.getByTestId("billing-policy")).toContainText("Set by domain Acme Cloud");
    await shot(page, `tenant-low-${width}`);
  }
  await logout(page);

  // The admin credits the tenant's account.
  await page.setViewportSize({ width: 1280, height: 900 });
  await login(page, logins.admin.username, logins.admin.password);
  await openPage(page, "/billing");
  await page.getByLabel("Account").selectOption({ label: "acme-dev" });
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Billing · acme-dev");
  await page.getByLabel("Amount").fill("10");
  await page.getByLabel("Reason").fill("Payment received");
  await page.getByRole("button", { name: "Add", exact: true }).click();
  await expect(page.getByText("Credit added")).toBeVisible();
  await expect(page.getByTestId("balance-EUR")).toHaveText("10.00 EUR");
  await shot(page, "admin-credit-1280");
  await logout(page);

  // The banner is gone; the credit is in the history and the statement.
  await login(page, logins.tenant.username, logins.tenant.password);
  await openPage(page, "/billing");
  await expect(page.getByTestId("balance-EUR")).toHaveText("10.00 EUR");
  await expect(page.getByTestId("balance-banner")).toHaveCount(0);
  await expect(page.getByRole("cell", { name: "Payment received" })).toBeVisible();
  await page.getByRole("link", { name: "View / print" }).first().click();
  await expect(page.getByText("Statement of account")).toBeVisible();
  await expect(page.getByRole("row", { name: /Closing balance/ })).toContainText("10.00 EUR");
  await page.emulateMedia({ media: "print" });
  await expect(page.getByRole("button", { name: "Print or save as PDF" })).toBeHidden();
  await shot(page, "statement-print-1280");
  await page.emulateMedia({ media: "screen" });
  await page.setViewportSize({ width: 390, height: 900 });
  await shot(page, "statement-390");
  const csv = await page.request.get(
    await page
      .getByRole("link", { name: "Download CSV" })
      .getAttribute("href")
      .then((h) => h!),
  );
  expect(csv.status()).toBe(200);
  expect((await csv.text()).split("\r\n")[0]).toBe(
    "account_id,account_name,period_from,period_to,section,date,usage_type,usage_type_name,quantity,unit,description,currency,amount",
  );
  // The statement page has no portal shell: sign out from the portal.
  await openPage(page, "/billing");
  await logout(page);

  // Leave the cloud as it was for the other specs: the policy goes.
  await page.setViewportSize({ width: 1280, height: 900 });
  await login(page, logins.admin.username, logins.admin.password);
  await openPage(page, "/billing");
  await page.getByLabel("Domain").selectOption({ label: "ROOT / Acme Cloud" });
  await page.getByRole("button", { name: "Remove (inherit)" }).click();
  await expect(page.getByText(/Policy removed/)).toBeVisible();
});
