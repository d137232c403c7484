import { expect, test } from "@playwright/test";
import { meteredResourceTypes } from "../lib/resource-types";
import { dialog, login, logins, logout, nav, selectDomain, treeItem, unique } from "./fixtures";

/**
 * The multi-tenancy flow: the root admin makes a reseller, the reseller makes a customer, the
 * customer sees its own dashboard, and nobody sees outside its subtree.
 */
test("root admin → domain admin → user, each confined to its subtree", async ({ page }) => {
  const domainName = unique("e2e-reseller");
  const subName = unique("e2e-customer");
  const resellerUser = unique("ra");
  const tenantUser = unique("tu");
  const password = "e2e-password-1";
  let acmeId = "";

  await test.step("root admin creates a sub-domain of ROOT", async () => {
    await login(page, logins.admin.username, logins.admin.password);
    await nav(page).getByRole("link", { name: "Domains" }).click();
    await expect(treeItem(page, "ROOT")).toBeVisible();
    await expect(page.getByRole("heading", { name: "ROOT", level: 2 })).toBeVisible();

    // Remember Acme Cloud's id (from the URL the tree selection writes) for the scope check later.
    await selectDomain(page, "Acme Cloud");
    await expect(page.getByRole("heading", { name: "Acme Cloud", level: 2 })).toBeVisible();
    await expect(page).toHaveURL(/\/domains\/[0-9a-f-]{36}$/);
    acmeId = page.url().split("/").pop() ?? "";

    await selectDomain(page, "ROOT");
    await expect(page.getByRole("heading", { name: "ROOT", level: 2 })).toBeVisible();
    // ROOT can get sub-domains but cannot be renamed, moved or deleted: those stay visible, disabled, with the reason.
    const actions = page.getByRole("toolbar", { name: "Domain actions" });
    for (const name of ["Rename", "Move", "Delete"]) await expect(actions.getByRole("button", { name })).toBeDisabled();
    await expect(actions.getByRole("button", { name: "Rename" })).toHaveAttribute("title", "The ROOT domain cannot be changed");
    await page.getByRole("button", { name: "Add sub-domain" }).click();
    const d = dialog(page, "Add sub-domain");
    await d.getByLabel("Domain name").fill(domainName);
    await d.getByRole("button", { name: "Create domain" }).click();
    await expect(d).toBeHidden();
    await expect(treeItem(page, domainName)).toBeVisible();
    await expect(page.getByRole("heading", { name: domainName, level: 2 })).toBeVisible();
  });

  await test.step("root admin creates a domain-admin account in it", async () => {
    await page.getByRole("button", { name: "Add account" }).click();
    const d = dialog(page, "Add account");
    await expect(d.getByLabel("Domain")).toHaveValue(/[0-9a-f-]{36}/);
    await expect(d.getByLabel("Domain").locator("option:checked")).toHaveText(`ROOT / ${domainName}`);
    await d.getByLabel("Account name").fill(`${domainName}-admins`);
    await d.getByLabel("Account type").selectOption("domain_admin");
    await d.getByLabel("Username").fill(resellerUser);
    await d.getByLabel("Password").fill(password);
    await d.getByLabel("Email").fill(`${resellerUser}@example.com`);
    await d.getByRole("button", { name: "Create account" }).click();
    await expect(d).toBeHidden();
    await expect(
      page.getByRole("table", { name: "Accounts in this domain" }).getByRole("link", { name: `${domainName}-admins` }),
    ).toBeVisible();
    await logout(page);
  });

  await test.step("the domain admin sees only its subtree", async () => {
    await login(page, resellerUser, password);
    await nav(page).getByRole("link", { name: "Domains" }).click();
    await expect(treeItem(page, domainName)).toBeVisible();
    await expect(treeItem(page, "ROOT")).toHaveCount(0);
    await expect(treeItem(page, "Acme Cloud")).toHaveCount(0);
    await expect(treeItem(page, "Globex")).toHaveCount(0);
    // Its own domain: sub-domains yes, rename/move/delete no.
    await expect(page.getByRole("heading", { name: domainName, level: 2 })).toBeVisible();
    const actions = page.getByRole("toolbar", { name: "Domain actions" });
    for (const name of ["Rename", "Move", "Delete"]) await expect(actions.getByRole("button", { name })).toBeDisabled();
  });

  await test.step("the domain admin creates a sub-sub-domain and a user account in it", async () => {
    await page.getByRole("button", { name: "Add sub-domain" }).click();
    const d = dialog(page, "Add sub-domain");
    await d.getByLabel("Domain name").fill(subName);
    await d.getByRole("button", { name: "Create domain" }).click();
    await expect(d).toBeHidden();
    await expect(treeItem(page, subName)).toBeVisible();
    await expect(page.getByRole("heading", { name: subName, level: 2 })).toBeVisible();
    // A sub-domain of its own is the reseller's to change.
    await expect(page.getByRole("toolbar", { name: "Domain actions" }).getByRole("button", { name: "Rename" })).toBeEnabled();

    await page.getByRole("button", { name: "Add account" }).click();
    const a = dialog(page, "Add account");
    await expect(a.getByLabel("Domain").locator("option:checked")).toHaveText(`${domainName} / ${subName}`);
    await expect(a.getByLabel("Account type").locator("option")).toHaveText(["User", "Domain admin"]);
    await a.getByLabel("Account name").fill(`${subName}-acct`);
    await a.getByLabel("Username").fill(tenantUser);
    await a.getByLabel("Password").fill(password);
    await a.getByRole("button", { name: "Create account" }).click();
    await expect(a).toBeHidden();
    await expect(page.getByRole("table", { name: "Accounts in this domain" }).getByRole("link", { name: `${subName}-acct` })).toBeVisible();

    // The accounts list shows only the reseller's subtree.
    await nav(page).getByRole("link", { name: "Accounts" }).click();
    const table = page.getByRole("table", { name: "accounts" });
    await expect(table.getByRole("link", { name: `${subName}-acct` })).toBeVisible();
    await expect(table.getByRole("link", { name: "acme-dev" })).toHaveCount(0);
    await expect(table.getByRole("link", { name: "globex-ops" })).toHaveCount(0);
  });

  await test.step("a domain outside the subtree is not found", async () => {
    expect(acmeId).toMatch(/^[0-9a-f-]{36}$/);
    await page.goto(`/domains/${acmeId}`);
    await expect(page.getByText("Domain not found")).toBeVisible();
    await expect(page.getByRole("heading", { name: "Acme Cloud" })).toHaveCount(0);
    await logout(page);
  });

  await test.step("the user sees its dashboard with its limits", async () => {
    await login(page, tenantUser, password);
    await expect(page.getByRole("heading", { name: "Dashboard", level: 1 })).toBeVisible();
    const bars = page.getByRole("list", { name: "Resource limits" });
    await expect(bars.getByRole("progressbar", { name: "Instances" })).toBeVisible();
    await expect(bars.getByTestId("limit-instances")).toContainText("0 / 20");
    // Only what something consumes today (lib/resource-types.ts, meteredResourceTypes).
    await expect(bars.getByRole("progressbar")).toHaveCount(meteredResourceTypes.length);
  });
});
