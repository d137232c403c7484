import { expect, test } from "@playwright/test";
import { login, logins, nav } from "./fixtures";
import { openPage, trpcQuery } from "./pages";
import { axe } from "./running-vm";

/**
 * The usage report for each role at desktop and phone width: it opens on the current month (never
 * a page that waits for dates), says plainly when the range holds no usage, keeps the range and
 * filters in its exports, and the CSV export starts with the stable column names.
 */
const columns =
  "account_id,account_name,domain_id,domain_path,usage_type,usage_type_name,resource_id,resource_name,zone_id,offering_id,template_id,dimensions,period_start,period_end,seconds,size,unit,quantity,amount,currency";

const month = () => {
  const now = new Date();
  const iso = (d: Date) => d.toISOString().slice(0, 10);
  return {
    from: iso(new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1))),
    to: iso(new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 0))),
  };
};

for (const width of [1280, 390]) {
  for (const role of ["tenant", "reseller", "admin"] as const) {
    test(`usage report as ${role} at ${width} px`, async ({ page }) => {
      await page.setViewportSize({ width, height: 900 });
      await login(page, logins[role].username, logins[role].password);
      if (width === 1280) {
        await nav(page).getByRole("link", { name: "Usage" }).click();
        await expect(page).toHaveURL(/\/usage$/);
      }
      await openPage(page, "/usage");
      const m = month();
      await expect(page.getByLabel("From")).toHaveValue(m.from);
      await expect(page.getByLabel("To")).toHaveValue(m.to);
      // A fresh cloud has no complete hour of usage yet: the report says so instead of a blank.
      await expect(page.getByText("No usage in this range")).toBeVisible();
      await expect(page.getByText("No usage records in this range")).toBeVisible();
      expect(await axe(page)).toEqual([]);

      // The range and filters travel with the exports.
      await page.getByLabel("Usage type").selectOption("1");
      const csvLink = page.getByRole("link", { name: "Export CSV" });
      await expect(csvLink).toHaveAttribute("href", /usageType=1/);
      const href = (await csvLink.getAttribute("href"))!;
      expect(href).toContain(`from=${m.from}T00%3A00%3A00.000Z`);
      const csv = await page.request.get(href);
      expect(csv.status()).toBe(200);
      expect((await csv.text()).split("\r\n")[0]).toBe(columns);
      const json = await page.request.get(href.replace("format=csv", "format=json"));
      expect(await json.json()).toEqual([]);

      // The API answers the same range by default.
      const s = await trpcQuery<{ range: { from: string; to: string } }>(page, "usage.summary", {});
      expect(s.range.from.slice(0, 10)).toBe(m.from);

      // An impossible range is explained, not queried.
      await page.getByLabel("From").fill("2030-01-02");
      await page.getByLabel("To").fill("2030-01-01");
      await expect(page.getByText("Pick a From day on or before the To day.")).toBeVisible();
      await page.getByRole("button", { name: "This month" }).click();
      await expect(page.getByLabel("From")).toHaveValue(m.from);
    });
  }
}
