import { expect, test } from "@playwright/test";
import { login, logins } from "./fixtures";
import { openPage, pagesOf, resolvePath, type Role } from "./pages";

/**
 * Not a test of behaviour: renders every page of each role, at 1280 px and on a 390 px phone, and
 * the kit's main dialogs, to PNG files for a human to look at.
 * Runs only with SCREENSHOTS=<folder> (e.g. SCREENSHOTS=/tmp/shots npx playwright test screenshots).
 */
const dir = process.env.SCREENSHOTS;
if (!dir) throw new Error("set SCREENSHOTS=<folder> to render page screenshots");
const file = (...parts: (string | number)[]) => `${dir}/${parts.join("-").replace(/[/:]+/g, "_")}.png`;

for (const role of Object.keys(pagesOf) as Role[]) {
  test(`every page as ${role}, at 1280 px and 390 px`, async ({ page }) => {
    test.setTimeout(300_000);
    await login(page, logins[role].username, logins[role].password);
    for (const width of [1280, 390]) {
      await page.setViewportSize({ width, height: 900 });
      for (const path of pagesOf[role]) {
        await openPage(page, await resolvePath(page, path));
        await page.screenshot({ path: file(role, width, path), fullPage: true });
      }
    }
  });
}

test("the kit's dialogs and menus, as root admin", async ({ page }) => {
  test.setTimeout(180_000);
  await login(page, logins.admin.username, logins.admin.password);
  for (const width of [1280, 390]) {
    await page.setViewportSize({ width, height: 900 });
    await openPage(page, "/accounts");
    await page.getByRole("button", { name: "Add account" }).click();
    const d = page.getByRole("dialog", { name: "Add account" });
    await d.getByLabel("Password").fill("short");
    await expect(d.getByTestId("submit-reason")).toBeVisible();
    await page.screenshot({ path: file("dialog", width, "add-account"), fullPage: true });
    await page.keyboard.press("Escape");
    await page.getByRole("button", { name: "Actions for acme-dev" }).click();
    await page.screenshot({ path: file("menu", width, "account") });
    await page.keyboard.press("Escape");
    await openPage(page, await resolvePath(page, "/accounts/:acme-dev"));
    await page.getByRole("button", { name: "Edit limits" }).click();
    await page.screenshot({ path: file("form", width, "account-limits"), fullPage: true });
    await openPage(page, "/infrastructure/simulator");
    await page.getByRole("button", { name: "Inject fault" }).click();
    await page.screenshot({ path: file("dialog", width, "inject-fault") });
    await page.keyboard.press("Escape");
  }
});
