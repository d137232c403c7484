import fs from "node:fs";
import { expect, type Page, test } from "@playwright/test";
import { dialog, login, logins, logout, unique } from "./fixtures";
import { trpcQuery } from "./pages";
import { runningVm } from "./running-vm";

/**
 * Each role's dashboard on a fresh demo cloud: the tenant's own VM and globex's (another tenant),
 * the numbers each role sees, a card link to the filtered list, and a quick action. Screenshots at
 * 1280 and 390 px go to DASHBOARD_SHOTS when set (for people to look at; nothing compares them).
 */
test.describe.configure({ mode: "serial" });

const tenantVm = unique("dash-vm");
const globexVm = unique("globex-secret");
const shots = process.env.DASHBOARD_SHOTS;

async function screenshots(page: Page, role: string) {
  if (!shots) return;
  fs.mkdirSync(shots, { recursive: true });
  for (const width of [1280, 390]) {
    await page.setViewportSize({ width, height: 900 });
    await page.waitForTimeout(300);
    await page.screenshot({ path: `${shots}/${role}-${width}.png`, fullPage: true });
  }
  await page.setViewportSize({ width: 1280, height: 900 });
}

const vmCard = (page: Page) => page.getByTestId("card-vm-states");

/**
 * How many VMs the signed-in role's instance list holds (in a state): the dashboard must agree.
 * The other specs of a run leave VMs behind, so the expected numbers are read, not assumed.
 */
const listed = async (page: Page, state?: string) =>
  String((await trpcQuery<{ total: number }>(page, "instance.list", { pageSize: 1, ...(state ? { state } : {}) })).total);

test("another tenant deploys a VM the tenant must never see", async ({ page }) => {
  await login(page, logins.globex.username, logins.globex.password);
  await runningVm(page, globexVm);
  await logout(page);
});

test("the tenant sees its own VMs, limits, spend and events, and nothing of another tenant's", async ({ page }) => {
  await login(page, logins.tenant.username, logins.tenant.password);
  await runningVm(page, tenantVm);
  await page.goto("/");
  await expect(vmCard(page).getByTestId("vm-total")).toHaveText(await listed(page));
  await expect(vmCard(page).getByTestId("vm-state-running")).toContainText(await listed(page, "running"));
  const recent = page.getByTestId("card-recent-instances");
  await expect(recent.getByRole("link", { name: tenantVm })).toBeVisible();
  await expect(page.getByTestId("card-limits").getByTestId("limit-instances")).toContainText(/\d+ \//);
  await expect(page.getByTestId("card-spend")).toBeVisible();
  await expect(page.getByTestId("card-events")).toContainText(/VM/);
  // No other tenant's names or counts, and no admin cards.
  await expect(page.getByText(globexVm)).toHaveCount(0);
  await expect(page.getByTestId("card-health")).toHaveCount(0);
  await expect(page.getByTestId("card-capacity")).toHaveCount(0);
  await screenshots(page, "tenant");

  // A card links to the list behind it, filtered.
  await vmCard(page).getByTestId("vm-state-running").click();
  await expect(page).toHaveURL(/\/instances\?state=running/);
  await expect(page.getByRole("combobox", { name: "State", exact: true })).toHaveValue("running");
  await expect(page.getByRole("link", { name: tenantVm })).toBeVisible();

  // A quick action: Stop from the dashboard, through the instance action dialog.
  await page.goto("/");
  await recent.getByRole("button", { name: `Stop ${tenantVm}` }).click();
  await dialog(page, `Stop ${tenantVm}?`).getByRole("button", { name: "Stop instance" }).click();
  await expect(dialog(page, `Stop ${tenantVm}?`)).toHaveCount(0);
  await expect
    .poll(async () => (await trpcQuery<{ items: { name: string; state: string }[] }>(page, "instance.list", {})).items[0]?.state, {
      timeout: 30_000,
    })
    .toBe("stopped");
  await page.reload();
  await expect(vmCard(page).getByTestId("vm-state-stopped")).toContainText(await listed(page, "stopped"));
  await expect(recent.getByRole("button", { name: `Start ${tenantVm}` })).toBeEnabled();
  await logout(page);
});

test("the reseller sees its subtree's accounts, VMs and limits, not another subtree's", async ({ page }) => {
  await login(page, logins.reseller.username, logins.reseller.password);
  const accounts = await trpcQuery<{ total: number }>(page, "account.list", { pageSize: 1 });
  await expect(page.getByTestId("subtree-accounts")).toContainText(String(accounts.total));
  // Its subtree's VMs (acme-dev's, stopped now), never globex's.
  await expect(vmCard(page).getByTestId("vm-total")).toHaveText(await listed(page));
  await expect(vmCard(page).getByTestId("vm-state-stopped")).toContainText(await listed(page, "stopped"));
  await expect(page.getByTestId("card-limits")).toContainText("Your domain's use against its limits");
  await expect(page.getByTestId("card-limits").getByTestId("limit-instances")).toContainText(/\d+ \//);
  await expect(page.getByTestId("card-revenue")).toBeVisible();
  await expect(page.getByTestId("card-top-accounts")).toContainText("acme-dev");
  await expect(page.getByText(globexVm)).toHaveCount(0);
  await expect(page.getByText("globex-ops")).toHaveCount(0);
  await expect(page.getByTestId("card-health")).toHaveCount(0);
  await screenshots(page, "reseller");
  await logout(page);
});

test("the root admin sees health, capacity with thresholds, every VM, and cards link to filtered lists", async ({ page }) => {
  await login(page, logins.admin.username, logins.admin.password);
  const hosts = await trpcQuery<{ total: number }>(page, "host.list", { pageSize: 1 });
  await expect(page.getByTestId("health-up")).toContainText(String(hosts.total));
  await expect(page.getByTestId("health-down")).toContainText("0");
  // Every tenant's VMs: the tenant's stopped one and globex's running one among them.
  await expect(vmCard(page).getByTestId("vm-total")).toHaveText(await listed(page));
  await expect(vmCard(page).getByTestId("vm-state-running")).toContainText(await listed(page, "running"));
  await expect(page.getByTestId("card-top-accounts")).toContainText("globex-ops");
  const capacity = page.getByTestId("card-capacity");
  await expect(capacity.getByRole("progressbar").first()).toBeVisible();
  await expect(capacity.locator('[title="Warning at 75%"]').first()).toBeAttached();
  await screenshots(page, "admin");

  await page.getByTestId("health-maintenance").click();
  await expect(page).toHaveURL(/\/infrastructure\/hosts\?state=maintenance/);
  await expect(page.getByRole("combobox", { name: "Filter by state" })).toHaveValue("maintenance");
  await expect(page.getByText("No hosts match these filters")).toBeVisible();
  await page.goto("/");
  await page.getByTestId("health-up").click();
  await expect(page).toHaveURL(/\/infrastructure\/hosts\?status=up/);
  await expect(page.getByRole("combobox", { name: "Filter by status" })).toHaveValue("up");
  await expect(page.getByText("No hosts match these filters")).toHaveCount(0);
});
