import { type Browser, expect, type Page, test } from "@playwright/test";
import { dialog, login, logins, nav, selectDomain, treeItem, unique } from "./fixtures";

/**
 * Deleting an account through the UI: the root admin makes a domain and an account, the account's
 * user deploys a VM, the admin deletes the account from its page (the confirmation says what goes,
 * then the cleanup job's progress shows), the account is gone and its user signed out, and the
 * now-empty domain is deleted. Also: nothing in the offerings or the wizard promises HA.
 */
test.describe.configure({ timeout: 180_000 });

async function sessionOf(browser: Browser, baseURL: string | undefined, who: { username: string; password: string }) {
  const context = await browser.newContext({ baseURL });
  const page = await context.newPage();
  await login(page, who.username, who.password);
  return { page, close: () => context.close() };
}

/** Sets the simulator's latency of one operation (Infrastructure → Simulator). */
async function setLatency(page: Page, op: string, ms: number) {
  await page.goto("/infrastructure/simulator");
  const input = page.getByLabel(`Latency of ${op} in milliseconds`);
  await input.fill(String(ms));
  await input.locator("xpath=ancestor::tr").getByRole("button", { name: "Save" }).click();
  await expect(input.locator("xpath=ancestor::tr").getByRole("button", { name: "Save" })).toBeDisabled();
}

const noHa = /\bHA\b|Highly available|high availability/i;

test("an admin deletes an account with a running VM, follows the cleanup, then deletes its empty domain", async ({
  page,
  browser,
  baseURL,
}, info) => {
  const domainName = unique("e2e-doomed");
  const accountName = `${domainName}-acct`;
  const username = unique("du");
  const password = "e2e-password-1";
  const vmName = unique("e2e-vm");

  await test.step("the root admin creates a domain and an account in it", async () => {
    await login(page, logins.admin.username, logins.admin.password);
    await nav(page).getByRole("link", { name: "Domains" }).click();
    await selectDomain(page, "ROOT");
    await page.getByRole("button", { name: "Add sub-domain" }).click();
    const d = dialog(page, "Add sub-domain");
    await d.getByLabel("Domain name").fill(domainName);
    await d.getByRole("button", { name: "Create domain" }).click();
    await expect(d).toBeHidden();
    await expect(page.getByRole("heading", { name: domainName, level: 2 })).toBeVisible();
    await page.getByRole("button", { name: "Add account" }).click();
    const a = dialog(page, "Add account");
    await a.getByLabel("Account name").fill(accountName);
    await a.getByLabel("Username").fill(username);
    await a.getByLabel("Password").fill(password);
    await a.getByRole("button", { name: "Create account" }).click();
    await expect(a).toBeHidden();
    await expect(page.getByRole("table", { name: "Accounts in this domain" }).getByRole("link", { name: accountName })).toBeVisible();
  });

  const user = await sessionOf(browser, baseURL, { username, password });
  await test.step("its user deploys a VM; the wizard promises no HA", async () => {
    const p = user.page;
    await nav(p).getByRole("link", { name: "Instances" }).click();
    await p.getByRole("link", { name: "Deploy instance" }).click();
    await expect(p.getByRole("heading", { name: "Deploy instance", level: 1 })).toBeVisible();
    await expect(p.getByRole("radiogroup", { name: "Compute offering" }).getByRole("radio", { name: "Large" })).toBeVisible();
    await expect(p.locator("main")).not.toContainText(noHa);
    await p.screenshot({ path: info.outputPath("deploy-wizard.png"), fullPage: true });
    await p.getByRole("radiogroup", { name: "Template" }).getByRole("radio", { name: "Tiny Linux" }).check();
    await p.getByRole("radiogroup", { name: "Compute offering" }).getByRole("radio", { name: "Small" }).check();
    await p.getByLabel("Name", { exact: true }).fill(vmName);
    await p.getByRole("button", { name: "Deploy", exact: true }).click();
    await expect(p).toHaveURL(/\/instances\/[0-9a-f-]{36}$/);
    await expect(p.getByTestId("instance-state")).toHaveText("Running", { timeout: 30_000 });
  });

  await test.step("compute offerings promise no HA (list and form)", async () => {
    await page.goto("/offerings/compute");
    await expect(page.getByRole("heading", { name: "Compute offerings", level: 1 })).toBeVisible();
    await expect(page.getByRole("table", { name: "compute offerings" }).getByText("Large", { exact: true })).toBeVisible();
    await expect(page.locator("main")).not.toContainText(noHa);
    await page.screenshot({ path: info.outputPath("compute-offerings.png"), fullPage: true });
    await page.getByRole("button", { name: "Add offering" }).click();
    const d = dialog(page, "Add compute offering");
    await expect(d).toBeVisible();
    await expect(d.getByLabel("Cap CPU use at the offered speed")).toBeVisible();
    await expect(d).not.toContainText(noHa);
    await page.screenshot({ path: info.outputPath("compute-offering-form.png") });
    await d.getByRole("button", { name: "Cancel" }).click();
  });

  // A slow simulated stop keeps the cleanup running long enough to watch it.
  await setLatency(page, "stop", 3000);

  await test.step("the admin deletes the account from its page: what goes, then the job's progress", async () => {
    await page.goto("/accounts");
    await page.getByLabel("Search accounts").fill(accountName);
    await page.getByRole("link", { name: accountName }).click();
    await expect(page.getByRole("heading", { name: accountName, level: 1 })).toBeVisible();
    await page.getByRole("button", { name: "Delete", exact: true }).click();
    const d = dialog(page, `Delete account ${accountName}?`);
    const preview = d.getByTestId("deletion-preview");
    await expect(preview).toContainText("1 instance (1 running)");
    await expect(preview).toContainText("1 user");
    await page.screenshot({ path: info.outputPath("delete-confirm.png") });
    await d.getByRole("button", { name: "Delete account" }).click();
    await expect(d.getByTestId("job-progress")).toContainText(`Deleting account ${accountName}`);
    await expect(d.getByRole("progressbar")).toBeVisible();
    await page.screenshot({ path: info.outputPath("delete-progress.png") });
    // Done: the account's page is left for the list, where the account no longer is.
    await expect(page).toHaveURL(/\/accounts$/, { timeout: 60_000 });
    await expect(page.getByText(`Account ${accountName} deleted`)).toBeVisible();
    await page.getByLabel("Search accounts").fill(accountName);
    await expect(page.getByRole("link", { name: accountName })).toHaveCount(0);
  });

  await test.step("its user is signed out, its VM gone", async () => {
    await user.page.goto("/instances");
    await expect(user.page).toHaveURL(/\/login/);
    await user.close();
    await page.goto("/instances");
    await page.getByLabel("Search instances").fill(vmName);
    await expect(page.getByTestId(`instance-row-${vmName}`)).toHaveCount(0);
  });

  await test.step("its domain is empty now and is deleted", async () => {
    await setLatency(page, "stop", 0);
    await nav(page).getByRole("link", { name: "Domains" }).click();
    await selectDomain(page, domainName);
    await expect(page.getByRole("heading", { name: domainName, level: 2 })).toBeVisible();
    await page.getByRole("button", { name: "Delete", exact: true }).click();
    const d = dialog(page, `Delete domain ${domainName}?`);
    await d.getByRole("button", { name: "Delete domain" }).click();
    await expect(d).toBeHidden();
    await expect(treeItem(page, domainName)).toHaveCount(0);
  });
});
