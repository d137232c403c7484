import { expect, test } from "@playwright/test";
import { login, logins, logout, nav } from "./fixtures";

test("signed out, portal pages redirect to the login page", async ({ page }) => {
  for (const path of ["/", "/domains", "/accounts", "/users"]) {
    await page.goto(path);
    await expect(page).toHaveURL(/\/login/);
    await expect(page.getByRole("button", { name: "Sign in" })).toBeVisible();
  }
});

test("a tenant gets no admin navigation, cannot use admin pages, and is signed out for good", async ({ page }) => {
  await login(page, logins.tenant.username, logins.tenant.password);
  const menu = nav(page);
  await expect(menu.getByRole("link", { name: "Dashboard" })).toBeVisible();
  await expect(menu.getByRole("link", { name: "Events" })).toBeVisible();
  for (const name of ["Domains", "Accounts", "Users", "Zones", "Hosts"]) {
    await expect(menu.getByRole("link", { name })).toHaveCount(0);
  }
  await expect(page.getByRole("list", { name: "Resource limits" })).toBeVisible();

  // Typing an admin URL does not help: the API refuses and the page says so.
  await page.goto("/accounts");
  await expect(page.getByText("You do not have permission to do this")).toBeVisible();

  await page.goto("/");
  await logout(page);
  await page.goto("/");
  await expect(page).toHaveURL(/\/login/);
});

test("a domain admin gets administration but not infrastructure", async ({ page }) => {
  await login(page, logins.reseller.username, logins.reseller.password);
  const menu = nav(page);
  for (const name of ["Domains", "Accounts", "Users"]) await expect(menu.getByRole("link", { name })).toBeVisible();
  for (const name of ["Zones", "Hosts"]) await expect(menu.getByRole("link", { name })).toHaveCount(0);
});
