import { type Browser, expect, type Page, test } from "@playwright/test";
import { dialog, login, logins, nav, unique } from "./fixtures";

/**
 * The instance lifecycle through the UI on the simulator: a tenant deploys a VM and sees it
 * Running; its reseller and the root admin see it in their scope, another tenant does not; the
 * tenant then stops, starts, reboots, destroys, recovers and finally expunges it.
 */
test.describe.configure({ timeout: 120_000 });

const stateOf = (page: Page) => page.getByTestId("instance-state");

/** Confirms the open action dialog of this title with its confirm button. */
async function confirm(page: Page, title: string, button: string, says?: RegExp) {
  const d = dialog(page, title);
  await expect(d).toBeVisible();
  if (says) await expect(d).toContainText(says);
  await d.getByRole("button", { name: button }).click();
  await expect(d).toBeHidden();
}

/** A fresh browser session for another user. */
async function sessionOf(browser: Browser, baseURL: string | undefined, who: { username: string; password: string }) {
  const context = await browser.newContext({ baseURL });
  const page = await context.newPage();
  await login(page, who.username, who.password);
  return { page, close: () => context.close() };
}

async function searchInstances(page: Page, name: string) {
  await page.goto("/instances");
  await expect(page.getByRole("heading", { name: "Instances", level: 1 })).toBeVisible();
  await page.getByLabel("Search instances").fill(name);
}

test("a tenant runs a VM through its lifecycle; only its scope sees it", async ({ page, browser, baseURL }) => {
  const name = unique("e2e-vm");
  let vmUrl = "";

  await test.step("the tenant deploys a VM with the wizard and sees it Running", async () => {
    await login(page, logins.tenant.username, logins.tenant.password);
    await nav(page).getByRole("link", { name: "Instances" }).click();
    await page.getByRole("link", { name: "Deploy instance" }).click();
    await expect(page.getByRole("heading", { name: "Deploy instance", level: 1 })).toBeVisible();

    // The only zone is chosen already; nothing else is.
    await expect(page.getByRole("radiogroup", { name: "Zone" }).getByRole("radio", { name: "Zone 1" })).toBeChecked();
    // Nothing chosen: the Deploy button is disabled and says what is missing beside it.
    const deployButton = page.getByRole("button", { name: "Deploy", exact: true });
    await expect(deployButton).toBeDisabled();
    const reasons = page.getByRole("list", { name: "Before you can deploy" });
    await expect(reasons).toContainText("Choose a template");
    await expect(reasons).toContainText("Name is required");
    // A bad name or count is explained beside the field while typing, not after pressing Deploy.
    await page.getByLabel("Name", { exact: true }).fill("1-bad");
    await expect(page.getByText("Use letters, digits and hyphens; start with a letter, do not end with a hyphen").first()).toBeVisible();
    await page.getByRole("spinbutton", { name: "Count" }).fill("30");
    await expect(page.getByText("Deploy between 1 and 20 at once").first()).toBeVisible();
    await page.getByRole("spinbutton", { name: "Count" }).fill("1");

    await page.getByRole("radiogroup", { name: "Template" }).getByRole("radio", { name: "Tiny Linux" }).check();
    await page.getByRole("radiogroup", { name: "Compute offering" }).getByRole("radio", { name: "Small" }).check();
    await page.getByLabel("Name", { exact: true }).fill(name);
    await expect(page.getByRole("complementary", { name: "Deploy summary" })).toContainText(name);
    await page.getByRole("button", { name: "Deploy", exact: true }).click();

    await expect(page).toHaveURL(/\/instances\/[0-9a-f-]{36}$/);
    vmUrl = new URL(page.url()).pathname;
    await expect(page.getByRole("heading", { name, level: 1 })).toBeVisible();
    await expect(stateOf(page)).toHaveText("Running", { timeout: 30_000 });
    await expect(page.getByRole("table", { name: "Events of this instance" })).toContainText("VM.CREATE");
  });

  await test.step("the reseller and the root admin see it in their scope; another tenant does not", async () => {
    const reseller = await sessionOf(browser, baseURL, logins.reseller);
    await searchInstances(reseller.page, name);
    const resellerRow = reseller.page.getByTestId(`instance-row-${name}`);
    await expect(resellerRow).toBeVisible();
    await expect(resellerRow).toContainText("acme-dev");
    // Hosts are infrastructure: a reseller does not see where its tenants' VMs run.
    await expect(resellerRow).not.toContainText(/sim-host-\d/);
    await reseller.close();

    const admin = await sessionOf(browser, baseURL, logins.admin);
    await searchInstances(admin.page, name);
    const adminRow = admin.page.getByTestId(`instance-row-${name}`);
    await expect(adminRow).toContainText("acme-dev");
    await expect(adminRow).toContainText(/sim-host-\d/);
    await expect(adminRow).toContainText("Running");
    await admin.page.getByRole("link", { name }).click();
    await expect(admin.page.getByRole("heading", { name, level: 1 })).toBeVisible();
    await expect(admin.page.getByTestId("instance-summary")).toContainText(/Host\s*sim-host-\d/);
    await admin.close();

    const globex = await sessionOf(browser, baseURL, logins.globex);
    await searchInstances(globex.page, name);
    await expect(globex.page.getByText(/^No instances match/)).toBeVisible();
    await expect(globex.page.getByTestId(`instance-row-${name}`)).toHaveCount(0);
    await globex.page.goto(vmUrl);
    await expect(globex.page.getByText("Instance not found")).toBeVisible();
    await globex.close();
  });

  await test.step("the tenant stops it from the list (the row follows the job)", async () => {
    await searchInstances(page, name);
    const row = page.getByTestId(`instance-row-${name}`);
    await expect(row).toContainText("Running");
    // The row menu offers what the instance page offers; what is not possible now says why.
    await row.getByRole("button", { name: `Actions for ${name}` }).click();
    const menu = page.getByRole("menu", { name: `Actions for ${name}` });
    await expect(menu.getByRole("menuitem")).toHaveText([
      "Start",
      "Stop",
      "Reboot",
      "Console",
      "Change offering",
      "Destroy",
      "Recover",
      "Expunge",
    ]);
    await expect(menu.getByRole("menuitem", { name: "Start" })).toHaveAttribute("aria-disabled", "true");
    await expect(menu).toContainText("Not possible while the instance is running");
    await expect(menu.getByRole("menuitem", { name: "Change offering" })).toHaveAttribute("aria-disabled", "true");
    await menu.getByRole("menuitem", { name: "Stop" }).click();
    await confirm(page, `Stop ${name}?`, "Stop instance", /shut down/);
    await expect(row).toContainText("Stopped", { timeout: 30_000 });
    // The toast followed the job to its end.
    await expect(page.getByTestId("toast").filter({ hasText: `Stop of ${name} finished` })).toBeVisible();
    await row.getByRole("button", { name: `Actions for ${name}` }).click();
    await expect(menu.getByRole("menuitem", { name: "Start" })).not.toHaveAttribute("aria-disabled", "true");
    await expect(menu.getByRole("menuitem", { name: "Change offering" })).not.toHaveAttribute("aria-disabled", "true");
    await page.keyboard.press("Escape");
    await expect(menu).toBeHidden();
  });

  await test.step("starts and reboots it on its page", async () => {
    await page.getByRole("link", { name }).click();
    await expect(page).toHaveURL(new RegExp(`${vmUrl}$`));
    await expect(stateOf(page)).toHaveText("Stopped");
    await page.getByRole("button", { name: "Start", exact: true }).click();
    await confirm(page, `Start ${name}?`, "Start instance");
    await expect(stateOf(page)).toHaveText("Running", { timeout: 30_000 });

    await page.getByRole("button", { name: "Reboot", exact: true }).click();
    await confirm(page, `Reboot ${name}?`, "Reboot instance");
    const jobs = page.getByRole("table", { name: "Recent jobs" });
    await expect(jobs.getByRole("row").filter({ hasText: "Reboot" })).toContainText("succeeded", { timeout: 30_000 });
    await expect(stateOf(page)).toHaveText("Running");
  });

  await test.step("destroys it (recoverable) and recovers it", async () => {
    await page.getByRole("button", { name: "Destroy", exact: true }).click();
    await confirm(page, `Destroy ${name}?`, "Destroy instance", /recoverable until it is expunged/);
    await expect(stateOf(page)).toHaveText("Destroyed", { timeout: 30_000 });
    await expect(page.getByText("This instance is destroyed.")).toBeVisible();

    await page.getByRole("button", { name: "Recover", exact: true }).click();
    await confirm(page, `Recover ${name}?`, "Recover instance");
    await expect(stateOf(page)).toHaveText("Stopped", { timeout: 30_000 });
  });

  await test.step("destroys and expunges it: it is gone", async () => {
    await page.getByRole("button", { name: "Destroy", exact: true }).click();
    await confirm(page, `Destroy ${name}?`, "Destroy instance");
    await expect(stateOf(page)).toHaveText("Destroyed", { timeout: 30_000 });

    await page.getByRole("button", { name: "Expunge", exact: true }).click();
    await confirm(page, `Expunge ${name}?`, "Expunge instance", /permanent/);
    await expect(page).toHaveURL(/\/instances$/, { timeout: 30_000 });
    await page.getByLabel("Search instances").fill(name);
    await expect(page.getByText(/^No instances match/)).toBeVisible();
    await page.goto(vmUrl);
    await expect(page.getByText("Instance not found")).toBeVisible();
  });
});
