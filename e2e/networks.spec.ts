import { expect, test } from "@playwright/test";
import { dialog, login, logins, nav, unique } from "./fixtures";
import { trpcMutation, trpcQuery } from "./pages";
import { axe } from "./running-vm";

/**
 * Networks through the UI on the simulator, at desktop and phone width: a tenant creates an
 * isolated network (a bad CIDR is refused beside the field), deploys onto it with the wizard
 * showing the address the NIC will get, and sees the address on the instance and on the network's
 * page; an admin sees the network offerings and the zone's VLAN ranges. axe finds nothing.
 */
test.describe.configure({ timeout: 150_000 });

for (const width of [1280, 390]) {
  test(`a tenant creates a network, deploys onto it and sees the addresses at ${width} px`, async ({ page }) => {
    await page.setViewportSize({ width, height: 900 });
    await login(page, logins.tenant.username, logins.tenant.password);
    const netName = unique("net");
    const vmName = unique("vm");
    const third = width === 1280 ? 61 : 62;
    const cidr = `10.${third}.0.0/24`;

    await test.step("create a network: a public CIDR is refused beside the field", async () => {
      if (width < 1024) await page.getByRole("button", { name: "Open menu" }).click();
      await nav(page).getByRole("link", { name: "Networks" }).click();
      await expect(page.getByRole("heading", { name: "Networks", level: 1 })).toBeVisible();
      expect(await axe(page)).toEqual([]);
      await page.getByRole("button", { name: "Create network" }).click();
      const d = dialog(page, "Create network");
      await expect(d).toBeVisible();
      await d.getByLabel("Name").fill(netName);
      await d.getByLabel("Network offering").selectOption({ label: "Default isolated (isolated)" });
      await d.getByLabel("CIDR (optional)").fill("8.8.8.0/24");
      await expect(d.getByText("CIDR must be a private range (10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16)").first()).toBeVisible();
      expect(await axe(page)).toEqual([]);
      await d.getByLabel("CIDR (optional)").fill(cidr);
      await d.getByRole("button", { name: "Create network" }).click();
      await expect(d).toBeHidden();
      await expect(page.getByRole("heading", { name: netName, level: 1 })).toBeVisible();
      await expect(page.getByTestId("network-state")).toHaveText("Allocated");
      await expect(page.getByTestId("network-summary")).toContainText(`10.${third}.0.1`);
      await expect(page.getByTestId("network-addresses")).toHaveText("253 free of 253");
      expect(await axe(page)).toEqual([]);
      await page.screenshot({ path: `test-results/networks-detail-empty-${width}.png`, fullPage: true });
    });

    await test.step("the deploy wizard shows the address the NIC gets on the network picked", async () => {
      await page.goto("/instances/new");
      await expect(page.getByRole("heading", { name: "Deploy instance", level: 1 })).toBeVisible();
      await page.getByRole("radiogroup", { name: "Template" }).getByRole("radio", { name: "Tiny Linux" }).check();
      await page.getByRole("radiogroup", { name: "Compute offering" }).getByRole("radio", { name: "Small" }).check();
      await page.getByLabel("Name", { exact: true }).fill(vmName);
      await page.getByRole("checkbox", { name: `${netName} (${cidr})` }).check();
      await expect(page.getByTestId(`nic-address-${netName}`)).toContainText(`10.${third}.0.2`);
      await page.getByLabel(`Address on ${netName} (optional)`).fill(`10.${third}.0.1`);
      await expect(page.getByRole("complementary", { name: "Deploy summary" })).toContainText(`${netName} (10.${third}.0.1)`);
      expect(await axe(page)).toEqual([]);
      // The gateway is refused by the server, beside the Network step.
      await page.getByRole("button", { name: "Deploy", exact: true }).click();
      await expect(page.getByText(/is the network, broadcast or gateway address/)).toBeVisible();
      await page.getByLabel(`Address on ${netName} (optional)`).fill(`10.${third}.0.50`);
      await page.screenshot({ path: `test-results/networks-wizard-${width}.png`, fullPage: true });
      await page.getByRole("button", { name: "Deploy", exact: true }).click();
      await expect(page.getByRole("heading", { name: vmName, level: 1 })).toBeVisible();
    });

    await test.step("the instance page shows the address; the network page lists the VM", async () => {
      await expect(page.getByTestId("nic-ip")).toHaveText(`10.${third}.0.50`);
      await expect(page.getByText(`10.${third}.0.50`).first()).toBeVisible();
      await page.getByRole("link", { name: netName }).first().click();
      await expect(page.getByRole("heading", { name: netName, level: 1 })).toBeVisible();
      // The title follows a client-side navigation a moment later.
      await expect(page).toHaveTitle(/Network/);
      await expect(page.getByTestId("network-state")).toHaveText("Implemented", { timeout: 20_000 });
      await expect(page.getByRole("row", { name: new RegExp(vmName) })).toContainText(`10.${third}.0.50`);
      await expect(page.getByTestId("network-addresses")).toHaveText("252 free of 253");
      // Instances still hold NICs on it: Delete is disabled with the reason.
      await expect(page.getByRole("toolbar", { name: "Network actions" }).getByRole("button", { name: "Delete" })).toBeDisabled();
      expect(await axe(page)).toEqual([]);
      await page.screenshot({ path: `test-results/networks-detail-${width}.png`, fullPage: true });
      await page.goto("/networks");
      await expect(page.getByRole("row", { name: new RegExp(netName) })).toContainText("Implemented");
      await page.screenshot({ path: `test-results/networks-list-${width}.png`, fullPage: true });
    });
  });
}

test("an admin sees the network offerings and a zone's VLAN ranges", async ({ page }) => {
  await login(page, logins.admin.username, logins.admin.password);
  await page.goto("/offerings/network");
  await expect(page.getByRole("heading", { name: "Network offerings", level: 1 })).toBeVisible();
  await expect(page.getByRole("row", { name: /Default isolated/ })).toContainText("Default");
  expect(await axe(page)).toEqual([]);
  await page.goto("/infrastructure/zones");
  await page.getByRole("button", { name: "Actions for zone Zone 1" }).click();
  await page.getByRole("menuitem", { name: "Network settings" }).click();
  const d = dialog(page, "Network settings of Zone 1");
  await expect(d.getByRole("row", { name: /100–3999/ })).toBeVisible();
  // Overlapping ranges are refused beside the field.
  await d.getByLabel("First VLAN").fill("3990");
  await d.getByLabel("Last VLAN").fill("4005");
  await d.getByRole("button", { name: "Add range" }).click();
  await expect(d.getByText("VLANs 3990-4005 overlap the range 100-3999 of zone Zone 1")).toBeVisible();
  expect(await axe(page)).toEqual([]);
  // A public range for the next test (documentation addresses).
  await d.getByLabel("First address").fill("203.0.113.10");
  await d.getByLabel("Last address").fill("203.0.113.20");
  await d.getByLabel("Gateway").fill("203.0.113.1");
  await d.getByRole("button", { name: "Add public range" }).click();
  await expect(d.getByRole("row", { name: /203\.0\.113\.10–203\.0\.113\.20/ })).toContainText("0 of 11");
  await page.screenshot({ path: "test-results/networks-zone-settings.png", fullPage: true });
});

test("a tenant acquires public IPs on a network: the first is the source NAT", async ({ page }) => {
  await login(page, logins.tenant.username, logins.tenant.password);
  const zones = await trpcQuery<{ zones: { id: string }[] }>(page, "instance.deployChoices", undefined);
  const choices = await trpcQuery<{ offerings: { id: string; name: string }[] }>(page, "network.choices", { zoneId: zones.zones[0]!.id });
  const n = await trpcMutation<{ id: string; name: string }>(page, "network.create", {
    name: unique("pub"),
    zoneId: zones.zones[0]!.id,
    networkOfferingId: choices.offerings.find((o) => o.name === "Default isolated")!.id,
  });
  await page.goto(`/networks/${n.id}`);
  await expect(page.getByRole("heading", { name: n.name, level: 1 })).toBeVisible();
  await page.getByRole("button", { name: "Acquire public IP" }).click();
  await expect(page.getByRole("row", { name: /Source NAT/ })).toBeVisible();
  await page.getByRole("button", { name: "Acquire public IP" }).click();
  const table = page.getByRole("table", { name: "Public IP addresses" });
  await expect(table.getByRole("row")).toHaveCount(3);
  expect(await axe(page)).toEqual([]);
  // The source NAT goes last: its Release is disabled while another address is held.
  await page
    .getByRole("button", { name: /Actions for public IP .* Source NAT|Actions for public IP/ })
    .first()
    .click();
  await expect(page.getByRole("menuitem", { name: /Release/ })).toBeDisabled();
  await page.keyboard.press("Escape");
  await page.screenshot({ path: "test-results/networks-public-ips.png", fullPage: true });
});
