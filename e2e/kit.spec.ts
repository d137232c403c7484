import { expect, test } from "@playwright/test";
import { dialog, login, logins, unique } from "./fixtures";
import { openPage, resolvePath, trpcMutation } from "./pages";

/** What the resource-page kit promises every page: forms, row menus, keyboard, toasts, links. */
test.beforeEach(async ({ page }) => {
  await login(page, logins.admin.username, logins.admin.password);
});

test("a form validates as you type, says why submit is disabled, and puts the server's refusal beside the field", async ({ page }) => {
  await openPage(page, "/infrastructure/zones");
  await page.getByRole("button", { name: "Add zone" }).click();
  const d = dialog(page, "Add zone");
  const submit = d.getByRole("button", { name: "Create zone" });
  await expect(submit).toBeDisabled();
  const reason = d.getByTestId("submit-reason");
  await expect(reason).toHaveText("Name is required");
  // Untouched, the reason is a grey hint, not a red error; it turns red once something is typed.
  await expect(reason).toHaveClass(/text-slate-600/);
  const name = d.getByLabel("Name");
  await name.fill("a/b");
  await expect(reason).toHaveClass(/text-red-700/);
  await expect(d.getByText("Name cannot contain slashes", { exact: true }).first()).toBeVisible();
  await expect(name).toHaveAttribute("aria-invalid", "true");
  await name.fill("Zone 1");
  await expect(submit).toBeEnabled();
  await submit.click();
  await expect(d.getByText('A zone named "Zone 1" already exists')).toBeVisible();
  await expect(name).toHaveAttribute("aria-invalid", "true");
  // Escape closes the dialog.
  await page.keyboard.press("Escape");
  await expect(d).toBeHidden();
});

test("a row menu works from the keyboard and its changes are confirmed in one toast", async ({ page }) => {
  await openPage(page, "/infrastructure/pods");
  const button = page.getByRole("button", { name: "Actions for pod Pod 1" });
  await button.focus();
  await page.keyboard.press("Enter");
  const menu = page.getByRole("menu", { name: "Actions for pod Pod 1" });
  await expect(menu.getByRole("menuitem", { name: "Edit" })).toBeFocused();
  await page.keyboard.press("ArrowDown");
  await expect(menu.getByRole("menuitem", { name: "Disable" })).toBeFocused();
  await page.keyboard.press("Tab");
  await expect(menu.getByRole("menuitem", { name: "Delete" })).toBeFocused();
  await page.keyboard.press("Escape");
  await expect(menu).toBeHidden();
  await expect(button).toBeFocused();

  // Going into maintenance asks first; leaving it is "Leave maintenance", not "Enable".
  await openPage(page, "/infrastructure/hosts");
  await page.getByRole("button", { name: "Actions for host sim-host-4" }).click();
  await page.getByRole("menuitem", { name: "Enter maintenance" }).click();
  await dialog(page, "Put host sim-host-4 in maintenance?").getByRole("button", { name: "Enter maintenance" }).click();
  await expect(page.getByTestId("toast").filter({ hasText: "Host sim-host-4 is now in maintenance" })).toBeVisible();
  // One pattern: a toast, no banner on the page besides it.
  await expect(page.getByRole("main").getByRole("alert")).toHaveCount(0);
  await page.getByRole("button", { name: "Actions for host sim-host-4" }).click();
  await page.getByRole("menuitem", { name: "Leave maintenance" }).click();
  await expect(page.getByTestId("toast").filter({ hasText: "Host sim-host-4 is now enabled" })).toBeVisible();
});

test("hosts have a page of their own, linked from the list, with their VMs", async ({ page }) => {
  await openPage(page, "/infrastructure/hosts");
  await page.getByRole("table", { name: "hosts" }).getByRole("link", { name: "sim-host-1", exact: true }).click();
  await expect(page).toHaveURL(/\/infrastructure\/hosts\/[0-9a-f-]{36}$/);
  await expect(page.getByRole("heading", { name: "sim-host-1", level: 1 })).toBeVisible();
  await expect(page.getByRole("table", { name: "VMs on this host" })).toBeVisible();
  await expect(page.getByTestId("host-facts")).toContainText("sim://");
  // The same actions as the row menu.
  await expect(page.getByRole("toolbar", { name: "Host actions" }).getByRole("button")).toHaveText([
    "Edit",
    "Disable",
    "Enter maintenance",
    "Remove",
  ]);
});

test("events can be filtered by account, from the account's page, and by time", async ({ page }) => {
  const accountPath = await resolvePath(page, "/accounts/:acme-dev");
  const accountId = accountPath.split("/").pop()!;
  // Two events of acme-dev.
  const temp = unique("acme-dev-e2e");
  await trpcMutation(page, "account.rename", { id: accountId, name: temp });
  await trpcMutation(page, "account.rename", { id: accountId, name: "acme-dev" });

  await openPage(page, accountPath);
  await page.getByRole("link", { name: "Events of this account" }).click();
  await expect(page).toHaveURL(new RegExp(`/events\\?accountId=${accountId}$`));
  await expect(page.getByLabel("Account", { exact: true }).locator("option:checked")).toHaveText("acme-dev");
  const table = page.getByRole("table", { name: "events" });
  await expect(table).toContainText(temp);
  const accounts = table.getByRole("row").locator("td:nth-child(4)");
  await expect(accounts.first()).toHaveText("acme-dev");
  expect(new Set(await accounts.allTextContents())).toEqual(new Set(["acme-dev"]));

  // "The events of the last hour for acme-dev".
  await page.getByLabel("Time").selectOption({ label: "Last hour" });
  await expect(table).toContainText(temp);
  await page.getByLabel("Account", { exact: true }).selectOption({ label: "globex-ops" });
  await expect(table).not.toContainText(temp);
});

test("an account's row menu offers what its page offers, disabled with the reason when not possible", async ({ page }) => {
  const expected = ["Enable", "Disable", "Lock", "Rename", "Delete"];
  await openPage(page, "/accounts");
  await page.getByRole("button", { name: "Actions for acme-dev" }).click();
  const menu = page.getByRole("menu", { name: "Actions for acme-dev" });
  await expect(menu.getByRole("menuitem")).toHaveText(expected);
  await expect(menu.getByRole("menuitem", { name: "Enable" })).toHaveAttribute("aria-disabled", "true");
  await expect(menu).toContainText("Already enabled");
  await page.keyboard.press("Escape");

  await openPage(page, await resolvePath(page, "/accounts/:acme-dev"));
  const bar = page.getByRole("toolbar", { name: "Account actions" });
  await expect(bar.getByRole("button")).toHaveText(expected);
  await expect(bar.getByRole("button", { name: "Enable" })).toBeDisabled();
  // Going to "disabled" asks first, says so in one toast, and can be undone from the same menu.
  await bar.getByRole("button", { name: "Disable" }).click();
  await dialog(page, "Disable account acme-dev?").getByRole("button", { name: "Cancel" }).click();
  await expect(bar.getByRole("button", { name: "Enable" })).toBeDisabled();
  // The instance and event lists are one click away.
  await page.getByRole("link", { name: "Instances of this account" }).click();
  await expect(page.getByLabel("Account", { exact: true }).locator("option:checked")).toHaveText("acme-dev");
});

test("adding an account sets its limits in the same form: memory in GiB, defaults said to be built in", async ({ page }) => {
  const name = unique("e2e-sized");
  await openPage(page, "/accounts");
  await page.getByRole("button", { name: "Add account" }).click();
  const d = dialog(page, "Add account");
  const limits = d.getByTestId("new-account-limits");
  await expect(d).toContainText("Pre-filled with Stratus's built-in defaults for a user account");
  await expect(limits.getByLabel("Memory (GiB)", { exact: true })).toHaveValue("80");
  await expect(limits).toContainText("Default: 80 GiB");
  // Every type is metered now, public IPs included.
  await expect(limits.getByLabel("Public IPs", { exact: true })).toHaveValue("20");
  await d.getByLabel("Account name").fill(name);
  await d.getByLabel("Username").fill(unique("sized"));
  await d.getByLabel("Password").fill("e2e-password-1");
  await limits.getByLabel("Instances", { exact: true }).fill("");
  await expect(d.getByTestId("submit-reason")).toHaveText("Instances: enter a limit or tick Unlimited");
  await expect(d.getByRole("button", { name: "Create account" })).toBeDisabled();
  await limits.getByLabel("Instances", { exact: true }).fill("3");
  await limits.getByLabel("Memory (GiB)", { exact: true }).fill("2");
  await d.getByRole("button", { name: "Create account" }).click();
  await expect(page).toHaveURL(/\/accounts\/[0-9a-f-]{36}$/);
  const bars = page.getByRole("list", { name: "Resource limits" });
  await expect(bars.getByTestId("limit-instances")).toContainText("0 / 3");
  await expect(bars.getByTestId("limit-memory_mib")).toContainText("0 GiB / 2 GiB");
});

test("an add form waits for its choices and starts on a real one", async ({ page }) => {
  await openPage(page, "/infrastructure/pods");
  await page.getByRole("button", { name: "Add pod" }).click();
  const d = dialog(page, "Add pod");
  await expect(d.getByLabel("Zone").locator("option:checked")).toHaveText("Zone 1");
  await d.getByLabel("Name").fill(unique("pod"));
  await expect(d.getByRole("button", { name: "Create pod" })).toBeEnabled();
  await page.keyboard.press("Escape");
});
