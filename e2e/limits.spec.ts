import { expect, test } from "@playwright/test";
import { login, logins } from "./fixtures";

test("an admin edits an account's limits and the tenant sees them", async ({ page }) => {
  await login(page, logins.admin.username, logins.admin.password);
  await page.goto("/accounts");
  await page.getByRole("table", { name: "accounts" }).getByRole("link", { name: "acme-dev" }).click();
  await expect(page.getByRole("heading", { name: "acme-dev", level: 1 })).toBeVisible();

  // Every type is metered now (public IPs and networks were the last): nothing is said to be unmetered.
  await expect(page.getByText(/Not metered yet/)).toHaveCount(0);
  await page.getByRole("button", { name: "Edit limits" }).click();
  const form = page.getByRole("form", { name: "Edit limits" });
  const instances = form.getByLabel("Instances", { exact: true });
  await expect(instances).toHaveValue("20");
  // Every metered type is offered (public IPs and networks too); memory is asked in GiB.
  await expect(form.getByLabel("Public IPs", { exact: true })).toHaveValue("20");
  await expect(form.getByLabel("Networks", { exact: true })).toHaveValue("20");
  await expect(form.getByLabel("Memory (GiB)", { exact: true })).toHaveValue("80");
  // Validated as typed: the error beside the field and the reason beside the disabled button.
  await instances.fill("-1");
  await expect(form.getByTestId("submit-reason")).toHaveText("Instances: cannot be negative");
  await expect(form.getByRole("button", { name: "Save limits" })).toBeDisabled();

  await instances.fill("5");
  await form.getByLabel("Unlimited Memory (GiB)").check();
  await expect(form.getByLabel("Memory (GiB)", { exact: true })).toBeDisabled();
  await form.getByRole("button", { name: "Save limits" }).click();
  await expect(form).toBeHidden();
  const bars = page.getByRole("list", { name: "Resource limits" });
  // Other specs may have left VMs in the account: check the limit, not the use.
  await expect(bars.getByTestId("limit-instances")).toContainText(/\d+ \/ 5(?!\d)/);
  await expect(bars.getByTestId("limit-memory_mib")).toContainText("/ Unlimited");
  await expect(bars.getByTestId("limit-public_ips")).toContainText("/ 20");

  await page.getByRole("button", { name: "Sign out" }).click();
  await page.waitForURL(/\/login/);
  await login(page, logins.tenant.username, logins.tenant.password);
  await expect(page.getByRole("list", { name: "Resource limits" }).getByTestId("limit-instances")).toContainText(/\d+ \/ 5(?!\d)/);

  // Put the default back, so specs that run later can deploy as the tenant.
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.waitForURL(/\/login/);
  await login(page, logins.admin.username, logins.admin.password);
  await page.goto("/accounts");
  await page.getByRole("table", { name: "accounts" }).getByRole("link", { name: "acme-dev" }).click();
  await page.getByRole("button", { name: "Edit limits" }).click();
  await page.getByRole("form", { name: "Edit limits" }).getByLabel("Instances", { exact: true }).fill("20");
  await page.getByRole("form", { name: "Edit limits" }).getByLabel("Unlimited Memory (GiB)").uncheck();
  await page.getByRole("form", { name: "Edit limits" }).getByLabel("Memory (GiB)", { exact: true }).fill("80");
  await page.getByRole("form", { name: "Edit limits" }).getByRole("button", { name: "Save limits" }).click();
  await expect(page.getByRole("list", { name: "Resource limits" }).getByTestId("limit-instances")).toContainText(/\d+ \/ 20(?!\d)/);
});
