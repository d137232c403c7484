import { expect, test } from "@playwright/test";
import { login, logins, nav, unique } from "./fixtures";
import { webhookReceiver } from "../test/webhook-receiver";
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, verifyWebhook } from "../server/webhooks/sign";

/**
 * Webhooks as a tenant sets one up: the metadata address is refused beside the URL field, a
 * webhook to a real receiver shows its secret once, "Send test" arrives signed with that secret and
 * shows in the delivery log; disabled, it sends nothing; deleted, it is gone.
 */
test("a tenant creates a webhook, sends a signed test delivery and reads its log", async ({ page }) => {
  const rx = await webhookReceiver();
  try {
    for (const width of [1280, 390]) {
      await page.setViewportSize({ width, height: 900 });
      await login(page, logins.tenant.username, logins.tenant.password);
      if (width === 1280) await nav(page).getByRole("link", { name: "Webhooks" }).click();
      else await page.goto("/webhooks");
      await expect(page.getByRole("heading", { name: "Webhooks", level: 1 })).toBeVisible();
      const form = page.getByRole("form", { name: "New webhook" });
      const name = unique("hook");
      await form.getByLabel("Name").fill(name);
      await form.getByLabel("URL").fill("http://169.254.169.254/latest/meta-data/");
      await form.getByLabel(/^ALERT\.OPENED/).check();
      await form.getByRole("button", { name: "Create webhook" }).click();
      await expect(form.getByText(/not allowed|refused|link-local|metadata/i)).toBeVisible();

      await form.getByLabel("URL").fill(rx.url);
      await form.getByLabel("Every event (*)").check();
      await form.getByRole("button", { name: "Create webhook" }).click();
      const secret = (await page.getByTestId("webhook-secret").textContent())!.trim();
      expect(secret).toMatch(/^whsec_[0-9a-f]{64}$/);
      await page.screenshot({ path: `test-results/e2e/webhooks-${width}.png`, fullPage: true });
      await page.getByRole("button", { name: "I have copied it" }).click();
      await expect(page.getByTestId("webhook-secret")).toHaveCount(0);

      const row = page.getByTestId(`webhook-${name}`);
      await expect(row).toContainText("every event");
      await row.getByRole("button", { name: "Send test" }).click();
      const log = row.getByRole("table", { name: "Deliveries" });
      await expect(log.getByRole("row").nth(1)).toContainText("WEBHOOK.PING");
      await expect(log.getByRole("row").nth(1)).toContainText("succeeded", { timeout: 20_000 });
      await expect(log.getByRole("row").nth(1)).toContainText("HTTP 200");
      const ping = rx.got.find((g) => (JSON.parse(g.body) as { data: { name: string } }).data.name === name)!;
      expect(ping).toBeTruthy();
      const signed = { signature: ping.headers[SIGNATURE_HEADER] as string, timestamp: ping.headers[TIMESTAMP_HEADER] as string };
      expect(verifyWebhook(secret, signed, ping.body)).toBe(true);

      await row.getByRole("button", { name: "Disable" }).click();
      await expect(row.getByText("disabled", { exact: true })).toBeVisible();
      await expect(row.getByRole("button", { name: "Send test" })).toBeDisabled();
      await row.getByRole("button", { name: `Delete ${name}` }).click();
      await page.getByRole("dialog").getByRole("button", { name: "Delete" }).click();
      await expect(page.getByTestId(`webhook-${name}`)).toHaveCount(0);
      await page.getByRole("button", { name: "Sign out", exact: true }).click();
      await page.waitForURL(/\/login/);
    }
  } finally {
    await rx.close();
  }
});
