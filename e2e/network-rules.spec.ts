import { expect, test } from "@playwright/test";
import { dialog, login, logins, unique } from "./fixtures";
import { trpcMutation, trpcQuery } from "./pages";
import { axe, runningVm } from "./running-vm";

/**
 * Network rules through the UI on the simulator, at desktop and phone width: the network's
 * diagram, a port forward made with its firewall rule (a bad range refused beside its field), a
 * forward without one shown as closed, static NAT, an egress rule read against the offering's
 * default. axe finds nothing; screenshots for people in test-results/.
 */
test.describe.configure({ timeout: 150_000 });

test("an admin gives the zone public addresses", async ({ page }) => {
  await login(page, logins.admin.username, logins.admin.password);
  const zones = await trpcQuery<{ zones: { id: string }[] }>(page, "instance.deployChoices", undefined);
  await trpcMutation(page, "publicIpRange.add", {
    zoneId: zones.zones[0]!.id,
    gateway: "198.51.100.1",
    prefixLength: 24,
    vlan: null,
    startIp: "198.51.100.10",
    endIp: "198.51.100.40",
  });
});

for (const width of [1280, 390]) {
  test(`a tenant forwards a port, enables static NAT and blocks egress at ${width} px`, async ({ page }) => {
    await page.setViewportSize({ width, height: 900 });
    await login(page, logins.tenant.username, logins.tenant.password);
    const vmName = unique("web");
    const vmId = await runningVm(page, vmName);
    const [nic] = await trpcQuery<{ networkId: string }[]>(page, "nic.list", { instanceId: vmId });
    const networkId = nic!.networkId;
    const ip = await trpcMutation<{ address: string }>(page, "publicIp.acquire", { networkId });
    const second = await trpcMutation<{ address: string; isSourceNat: boolean }>(page, "publicIp.acquire", { networkId });
    // The first of the network may have been acquired by the other width's run: take a non-source-NAT one.
    const natIp = second.isSourceNat ? ip : second;
    await page.goto(`/networks/${networkId}`);
    await expect(page.getByTestId("network-diagram")).toBeVisible();
    await expect(page.getByTestId("network-diagram")).toContainText(vmName);

    const panel = page.locator("section").filter({ has: page.getByRole("heading", { name: `Public IP ${natIp.address}` }) });
    await test.step("a port forward with its firewall rule; a bad range is refused beside its field", async () => {
      await panel.getByRole("tab", { name: /Port forwarding/ }).click();
      await panel.getByRole("button", { name: "Add port forward" }).click();
      const d = dialog(page, `Port forwarding on ${natIp.address}`);
      const option = await d.getByLabel("Instance").locator("option", { hasText: vmName }).getAttribute("value");
      await d.getByLabel("Instance").selectOption(option);
      await d.getByLabel("Public port", { exact: true }).fill("8080");
      await d.getByLabel("Public end port (optional)").fill("8081");
      await d.getByLabel("Private port", { exact: true }).fill("80");
      await expect(d.getByText("The private port range must be as long as the public one").first()).toBeVisible();
      await d.getByLabel("Private end port (optional)").fill("81");
      expect(await axe(page)).toEqual([]);
      await d.getByRole("button", { name: "Add port forward" }).click();
      await expect(d).toBeHidden();
      await expect(panel.getByRole("row", { name: new RegExp(vmName) })).toContainText("Open");
      await panel.getByRole("tab", { name: /Firewall/ }).click();
      await expect(panel.getByRole("row", { name: /0\.0\.0\.0\/0/ })).toContainText("8080-8081");
    });

    await test.step("a load balancer with an HTTP health check (a bad path refused beside its field) and its firewall rule", async () => {
      await panel.getByRole("tab", { name: /Load balancing/ }).click();
      await panel.getByRole("button", { name: "Add load balancer" }).click();
      const d = dialog(page, `Load balancer on ${natIp.address}`);
      await d.getByLabel("Name").fill("web");
      const option = await d.getByLabel("Members").locator("option", { hasText: vmName }).getAttribute("value");
      await d.getByLabel("Members").selectOption([option!]);
      await d.getByLabel("Health check").selectOption("http");
      await d.getByLabel("Path").fill("health");
      await expect(d.getByText(/Health check path must start with \//).first()).toBeVisible();
      await d.getByLabel("Path").fill("/health");
      await d.getByRole("button", { name: "Create load balancer" }).click();
      await expect(d).toBeHidden();
      const row = panel.getByRole("row", { name: /web/ });
      await expect(row).toContainText(vmName);
      await expect(row).toContainText("Open");
    });

    await test.step("static NAT is refused while forwards exist; the egress card says what rules mean", async () => {
      await panel.getByRole("tab", { name: /Static NAT/ }).click();
      await expect(panel.getByRole("button", { name: "Enable static NAT" })).toBeDisabled();
      await expect(page.getByTestId("egress-default")).toContainText("allowed by default");
      await page.getByRole("button", { name: "Block traffic" }).click();
      const d = dialog(page, "Block outgoing traffic");
      await d.getByLabel("Start port").fill("25");
      await d.getByLabel("Destination CIDRs").fill("10.0.0.1/8");
      await expect(d.getByText(/Destination CIDRs must be IPv4 networks/).first()).toBeVisible();
      await d.getByLabel("Destination CIDRs").fill("0.0.0.0/0");
      await d.getByRole("button", { name: "Add egress rule" }).click();
      await expect(d).toBeHidden();
      await expect(page.getByRole("table", { name: "Egress rules" }).getByRole("row", { name: /Block/ }).first()).toContainText("25");
    });
    expect(await axe(page)).toEqual([]);
    await page.screenshot({ path: `test-results/network-rules-${width}.png`, fullPage: true });
  });
}
