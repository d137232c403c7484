import { expect, type Page, test } from "@playwright/test";
import { login, logins, sessionOf, unique } from "./fixtures";
import { trpcMutation, trpcQuery } from "./pages";
import { runningVm } from "./running-vm";

/**
 * Live updates: the page holds one server-sent-events stream (/api/stream) and re-reads what a
 * change touches. With the stream open the lists poll only every 60 s, so a change seen within
 * 10 s (the expect timeout) came through the stream, not a reload or a poll.
 */
const streamOpen = (page: Page) => expect(page.locator("html")).toHaveAttribute("data-live-stream", "open");

test("the instances list follows a stop made elsewhere, and the bell counts a new alert, without reload", async ({
  page,
  browser,
  baseURL,
}) => {
  test.setTimeout(120_000);
  const name = unique("live-vm");
  await page.setViewportSize({ width: 1280, height: 900 });
  await login(page, logins.tenant.username, logins.tenant.password);
  const vmId = await runningVm(page, name);
  // One stream per tab, however many queries the page runs.
  const streams: string[] = [];
  page.on("request", (r) => r.url().endsWith("/api/stream") && streams.push(r.url()));

  await page.goto("/instances");
  await page.getByLabel("Search instances").fill(name);
  const row = page.getByTestId(`instance-row-${name}`);
  await expect(row).toContainText("Running");
  await streamOpen(page);
  // A marker on the window: gone if the page were reloaded.
  await page.evaluate(() => ((window as unknown as { liveMarker: number }).liveMarker = 1));
  const notReloaded = async () => expect(await page.evaluate(() => (window as unknown as { liveMarker?: number }).liveMarker)).toBe(1);

  await test.step("the VM is stopped from another browser: the row changes by itself", async () => {
    const other = await sessionOf(browser, baseURL, logins.tenant);
    await trpcMutation(other.page, "instance.stop", { id: vmId });
    await other.close();
    await expect(row).toContainText("Stopped");
    await notReloaded();
  });

  await test.step("an alert opens for the tenant's account: the bell's unread count appears", async () => {
    await expect(page.getByTestId("alert-unread")).toHaveCount(0);
    const admin = await sessionOf(browser, baseURL, logins.admin);
    const tree = await trpcQuery<{ id: string; name: string }[]>(admin.page, "domain.tree", undefined);
    const acme = tree.find((d) => d.name === "Acme Cloud")!;
    // Every Acme account is below a threshold this high: the low-balance alert opens at the next evaluation.
    await trpcMutation(admin.page, "billing.setPolicy", { domainId: acme.id, currency: "EUR", notifyBelow: "1000000" });
    try {
      await expect(page.getByTestId("alert-unread")).toHaveText("1");
      await notReloaded();
      await page.screenshot({ path: "test-results/e2e/live-1280.png", fullPage: true });
      await page.setViewportSize({ width: 390, height: 844 });
      await page.screenshot({ path: "test-results/e2e/live-390.png", fullPage: true });
    } finally {
      await trpcMutation(admin.page, "billing.removePolicy", { domainId: acme.id });
      await admin.close();
    }
  });
  expect(new Set(streams).size).toBe(1);
  expect(streams).toHaveLength(1);
});

test("the admin's hosts list follows a host disabled elsewhere, without reload", async ({ page, browser, baseURL }) => {
  await page.setViewportSize({ width: 1280, height: 900 });
  await login(page, logins.admin.username, logins.admin.password);
  const { items } = await trpcQuery<{ items: { id: string; name: string; state: string }[] }>(page, "host.list", {
    search: "sim-host-1",
  });
  const host = items.find((h) => h.name === "sim-host-1")!;
  expect(host.state).toBe("enabled");
  await page.goto("/infrastructure/hosts");
  const row = page.getByRole("row").filter({ has: page.getByRole("link", { name: "sim-host-1", exact: true }) });
  await expect(row).toContainText(/enabled/i);
  await streamOpen(page);
  await page.evaluate(() => ((window as unknown as { liveMarker: number }).liveMarker = 1));
  const other = await sessionOf(browser, baseURL, logins.admin);
  try {
    // The hosts list does not poll: only the stream (the HOST.DISABLE event) can bring this.
    await trpcMutation(other.page, "host.setState", { id: host.id, state: "disabled" });
    await expect(row).toContainText(/disabled/i);
    expect(await page.evaluate(() => (window as unknown as { liveMarker?: number }).liveMarker)).toBe(1);
  } finally {
    await trpcMutation(other.page, "host.setState", { id: host.id, state: "enabled" });
    await other.close();
  }
  await expect(row).toContainText(/enabled/i);
});
