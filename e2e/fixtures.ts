import { type Browser, expect, type Page } from "@playwright/test";

/** Demo logins from db/seed.ts (the e2e server seeds a fresh demo cloud on every run). */
export const logins = {
  admin: { username: "admin", password: "stratus-admin" },
  reseller: { username: "reseller", password: "stratus-reseller" },
  tenant: { username: "tenant", password: "stratus-tenant" },
  globex: { username: "globex", password: "stratus-globex" },
} as const;

/** A suffix that makes names unique per run (and per test), so specs never collide. */
export const unique = (prefix: string) => `${prefix}-${Date.now().toString(36)}${Math.floor(Math.random() * 1296).toString(36)}`;

export async function login(page: Page, username: string, password: string) {
  await page.goto("/login");
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByTestId("current-user")).toHaveText(username);
}

export async function logout(page: Page) {
  await page.getByRole("button", { name: "Sign out", exact: true }).click();
  await page.waitForURL(/\/login/);
}

/** The open modal dialog with this title. */
export const dialog = (page: Page, title: string | RegExp) => page.getByRole("dialog", { name: title });

/** A domain's node in the tree (by exact name). */
export const treeItem = (page: Page, name: string) =>
  page.getByRole("tree", { name: "Domains" }).getByRole("treeitem", { name, exact: true });

/** The main navigation (sidebar). */
export const nav = (page: Page) => page.getByRole("navigation", { name: "Main" });

/** Selects a domain in the tree (its name button, not the expand toggle). */
export const selectDomain = (page: Page, name: string) => treeItem(page, name).getByRole("button", { name, exact: true }).click();

/** A second signed-in browser (its own context and cookies), for specs where two people act at once. */
export async function sessionOf(browser: Browser, baseURL: string | undefined, who: { username: string; password: string }) {
  const context = await browser.newContext({ baseURL });
  const page = await context.newPage();
  await login(page, who.username, who.password);
  return { page, close: () => context.close() };
}
