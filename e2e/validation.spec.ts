import { expect, test } from "@playwright/test";
import { dialog, login, logins, treeItem, unique } from "./fixtures";

test.describe("bad input is explained where it was typed", () => {
  test.beforeEach(async ({ page }) => {
    await login(page, logins.admin.username, logins.admin.password);
  });

  test("a duplicate domain name shows the server's error beside the name field", async ({ page }) => {
    await page.goto("/domains");
    await expect(page.getByRole("heading", { name: "ROOT", level: 2 })).toBeVisible();
    await page.getByRole("button", { name: "Add sub-domain" }).click();
    const d = dialog(page, "Add sub-domain");
    const name = d.getByLabel("Domain name");
    await name.fill("Acme Cloud");
    await d.getByRole("button", { name: "Create domain" }).click();
    await expect(d.getByRole("alert")).toHaveText('A domain named "Acme Cloud" already exists under ROOT');
    await expect(name).toHaveAttribute("aria-invalid", "true");
    // The dialog stays open with the input kept, ready to be corrected.
    await expect(name).toHaveValue("Acme Cloud");
    const fixed = unique("e2e-fixed");
    await name.fill(fixed);
    await d.getByRole("button", { name: "Create domain" }).click();
    await expect(d).toBeHidden();
    await expect(treeItem(page, fixed)).toBeVisible();
  });

  test("a too-short password is refused as it is typed, beside the field and the disabled button, before any request", async ({ page }) => {
    await page.goto("/accounts");
    await page.getByRole("button", { name: "Add account" }).click();
    const d = dialog(page, "Add account");
    await expect(d.getByLabel("Domain").locator("option:checked")).toHaveText("ROOT");
    const creates: string[] = [];
    page.on("request", (r) => r.url().includes("account.create") && creates.push(r.url()));
    await d.getByLabel("Account name").fill(unique("e2e-short"));
    await d.getByLabel("Username").fill(unique("short"));
    await d.getByLabel("Password").fill("abc");
    await d.getByLabel("Email").fill("not-an-email");
    await expect(d.getByRole("button", { name: "Create account" })).toBeDisabled();
    await expect(d.getByTestId("submit-reason")).toHaveText("Password must be at least 8 characters");
    await expect(d.getByRole("alert").filter({ hasText: "Password must be at least 8 characters" })).toBeVisible();
    await expect(d.getByText("Must be a valid email address")).toBeVisible();
    await expect(d.getByLabel("Password")).toHaveAttribute("aria-invalid", "true");
    expect(creates).toHaveLength(0);
  });

  test("a taken username is reported beside the username field", async ({ page }) => {
    await page.goto("/accounts");
    await page.getByRole("button", { name: "Add account" }).click();
    const d = dialog(page, "Add account");
    await expect(d.getByLabel("Domain").locator("option:checked")).toHaveText("ROOT");
    await d.getByLabel("Account name").fill(unique("e2e-dup"));
    await d.getByLabel("Username").fill("tenant");
    await d.getByLabel("Password").fill("long-enough-password");
    await d.getByRole("button", { name: "Create account" }).click();
    await expect(d.getByText('Username "tenant" is already taken')).toBeVisible();
    await expect(d.getByLabel("Username")).toHaveAttribute("aria-invalid", "true");
  });

  test("a wrong current password is reported beside that field", async ({ page }) => {
    await page.goto("/settings");
    const form = page.getByRole("form", { name: "Change password" });
    await form.getByLabel("Current password").fill("not-my-password");
    await form.getByLabel("New password", { exact: true }).fill("another-password-1");
    await form.getByLabel("Confirm new password").fill("another-password-2");
    await expect(form.getByRole("button", { name: "Change password" })).toBeDisabled();
    await expect(form.getByTestId("submit-reason")).toHaveText("The passwords do not match");
    await form.getByLabel("Confirm new password").fill("another-password-1");
    await form.getByRole("button", { name: "Change password" }).click();
    await expect(form.getByText("Current password is incorrect")).toBeVisible();
    await expect(form.getByLabel("Current password")).toHaveAttribute("aria-invalid", "true");
  });
});
