import { expect, type Page, test } from "@playwright/test";
import { login, logins, logout } from "./fixtures";

/**
 * Alerts in the portal: a host failure injected through the simulator's admin API opens an alert
 * the root admin sees under the bell and on the Alerts page; it resolves when the host answers
 * again. A tenant sees no infrastructure alert. Screenshots at 1280 px and 390 px.
 */
async function trpc<T>(page: Page, procedure: string, input: unknown, kind: "query" | "mutation" = "mutation"): Promise<T> {
  const res =
    kind === "query"
      ? await page.request.get(`/api/trpc/${procedure}?input=${encodeURIComponent(JSON.stringify({ json: input }))}`)
      : await page.request.post(`/api/trpc/${procedure}`, { data: { json: input } });
  const body = (await res.json()) as { result?: { data?: { json?: T } }; error?: unknown };
  if (!res.ok()) throw new Error(`${procedure} failed: ${JSON.stringify(body.error)}`);
  return body.result!.data!.json!;
}

test("a host failure opens an alert under the bell, and it resolves when the host returns", async ({ page }) => {
  test.setTimeout(180_000);
  await page.setViewportSize({ width: 1280, height: 900 });
  await login(page, logins.admin.username, logins.admin.password);
  const sim = await trpc<{ hosts: { hostId: string; hostName: string }[] }>(page, "simulator.get", undefined, "query");
  const host = sim.hosts[sim.hosts.length - 1]!;
  const fault = await trpc<{ id: string }>(page, "simulator.addFault", {
    operation: "list",
    hostId: host.hostId,
    message: "e2e power cut",
  });
  try {
    // The reconciler finds it Disconnected (within its 30 s cycle), the evaluator opens the alert (2 s).
    await expect(page.getByTestId("alert-unread")).toBeVisible({ timeout: 90_000 });
    await page.getByTestId("alert-bell").click();
    await expect(page.getByRole("heading", { name: "Alerts", level: 1 })).toBeVisible();
    await expect(page.getByTestId("alerts-table")).toContainText(`Host ${host.hostName} is Disconnected`);
    await expect(page.getByTestId("alert-rules")).toContainText("CPU capacity");
    // Reading the page clears the unread count.
    await expect(page.getByTestId("alert-unread")).toHaveCount(0);
    await page.screenshot({ path: "test-results/e2e/alerts-1280.png", fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: "test-results/e2e/alerts-390.png", fullPage: true });
    await page.setViewportSize({ width: 1280, height: 900 });

    await logout(page);
    await login(page, logins.tenant.username, logins.tenant.password);
    await page.goto("/alerts");
    await expect(page.getByTestId("alerts-table")).toContainText("No open alerts");
    await expect(page.getByTestId("alert-rules")).toHaveCount(0);
    await logout(page);
    await login(page, logins.admin.username, logins.admin.password);
  } finally {
    await trpc(page, "simulator.removeFault", { id: fault.id });
  }
  // The host answers again at the reconciler's next cycle; the alert resolves at the next evaluation.
  await expect(async () => {
    await page.goto("/alerts");
    await expect(page.getByTestId("alerts-table")).toContainText("No open alerts", { timeout: 3_000 });
  }).toPass({ timeout: 90_000 });
  await page.getByRole("button", { name: "Resolved" }).click();
  await expect(page.getByTestId("alerts-table")).toContainText(`Host ${host.hostName} is Disconnected`);
});
