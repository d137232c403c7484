import { expect, type Page, test } from "@playwright/test";
import { login, logins } from "./fixtures";
import { openPage, pagesOf, resolvePath, type Role } from "./pages";

/** Every page works at 1280 px and on a 390 px phone: nothing pans sideways, row actions stay in view. */
const pageWidth = (page: Page) => page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, view: window.innerWidth }));

for (const role of Object.keys(pagesOf) as Role[]) {
  test(`on a 390 px phone no page scrolls sideways, as ${role}`, async ({ page }) => {
    test.setTimeout(180_000);
    await page.setViewportSize({ width: 390, height: 844 });
    await login(page, logins[role].username, logins[role].password);
    const wide: string[] = [];
    for (const path of pagesOf[role]) {
      await openPage(page, await resolvePath(page, path));
      const w = await pageWidth(page);
      if (w.scroll > w.view) wide.push(`${path}: ${w.scroll}px`);
    }
    expect(wide).toEqual([]);
  });
}

for (const width of [1280, 390]) {
  test(`at ${width} px every row's actions are on screen and the filters sit in one toolbar`, async ({ page }) => {
    await page.setViewportSize({ width, height: 900 });
    await login(page, logins.admin.username, logins.admin.password);
    for (const path of [
      "/infrastructure/hosts",
      "/infrastructure/storage",
      "/offerings/compute",
      "/infrastructure/zones",
      "/users",
      "/accounts",
    ]) {
      await openPage(page, path);
      const buttons = page.getByRole("button", { name: /^Actions for / });
      await expect(buttons.first()).toBeVisible();
      for (const b of await buttons.all()) {
        const box = await b.boundingBox();
        expect(box, `${path}: a row menu button`).not.toBeNull();
        expect(box!.x + box!.width, `${path}: the row menu is inside the viewport`).toBeLessThanOrEqual(width);
      }
    }
    if (width === 1280) {
      // The host filters share one line.
      await openPage(page, "/infrastructure/hosts");
      const tops = await Promise.all(
        ["Filter by zone", "Filter by cluster", "Filter by state"].map(async (l) => (await page.getByLabel(l).boundingBox())!.y),
      );
      expect(Math.max(...tops) - Math.min(...tops)).toBeLessThan(4);
    }
  });
}
