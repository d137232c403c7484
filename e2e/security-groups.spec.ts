import { expect, test } from "@playwright/test";
import { dialog, login, logins, unique } from "./fixtures";
import { axe } from "./running-vm";

/**
 * Shared networks and security groups through the UI on the simulator, at desktop and phone width:
 * the root admin creates a shared network (a gateway inside the guest range is refused beside the
 * field); a tenant creates a security group, adds a rule (a rule without a peer is refused beside
 * the field) and sees the shared network with the group choice in the deploy wizard. axe finds nothing.
 */
test.describe.configure({ timeout: 150_000 });

for (const [i, width] of [1280, 390].entries()) {
  const sharedName = `campus-${width}-${Date.now().toString(36)}`;
  const third = 40 + i;
  const cidr = `198.51.${third}.0/24`;

  test(`the root admin creates a shared network at ${width} px`, async ({ page }) => {
    await page.setViewportSize({ width, height: 900 });
    await login(page, logins.admin.username, logins.admin.password);
    await page.goto("/infrastructure/shared-networks");
    await expect(page.getByRole("heading", { name: "Shared networks", level: 1 })).toBeVisible();
    await page.getByRole("button", { name: "Create shared network" }).click();
    const d = dialog(page, "Create shared network");
    await expect(d).toBeVisible();
    await d.getByLabel("Name").fill(sharedName);
    await d.getByLabel("Network offering").selectOption({ label: "Shared" });
    await d.getByLabel("VLAN (optional)").fill(String(3200 + i));
    await d.getByLabel("CIDR").fill(cidr);
    await d.getByLabel("Gateway").fill(`198.51.${third}.150`);
    await d.getByLabel("First guest address").fill(`198.51.${third}.100`);
    await d.getByLabel("Last guest address").fill(`198.51.${third}.199`);
    // Checked as typed: the message names the field and the submit button waits for a fix.
    await expect(d.getByText("Gateway must be outside the guest range").first()).toBeVisible();
    await expect(d.getByRole("button", { name: "Create shared network" })).toBeDisabled();
    expect(await axe(page)).toEqual([]);
    await page.screenshot({ path: `test-results/shared-network-form-${width}.png`, fullPage: true });
    await d.getByLabel("Gateway").fill(`198.51.${third}.1`);
    await d.getByRole("button", { name: "Create shared network" }).click();
    await expect(d).toBeHidden();
    await expect(page.getByRole("table", { name: "Shared networks" })).toContainText(sharedName);
    expect(await axe(page)).toEqual([]);
    await page.screenshot({ path: `test-results/shared-networks-${width}.png`, fullPage: true });
  });

  test(`a tenant edits a security group's rules and picks it for a shared network at ${width} px`, async ({ page }) => {
    await page.setViewportSize({ width, height: 900 });
    await login(page, logins.tenant.username, logins.tenant.password);
    const group = unique("web");
    await page.goto("/security-groups");
    await expect(page.getByRole("heading", { name: "Security groups", level: 1 })).toBeVisible();
    await page.getByRole("button", { name: "Create security group" }).click();
    const c = dialog(page, "Create security group");
    await c.getByLabel("Name").fill(group);
    await c.getByRole("button", { name: "Create group" }).click();
    await expect(page.getByRole("heading", { name: group, level: 1 })).toBeVisible();

    await page.getByRole("button", { name: "Add ingress rule" }).click();
    const r = dialog(page, "Add ingress rule");
    await r.getByLabel("Start port (tcp/udp; empty: all)").fill("80");
    await r.getByLabel("End port").fill("80");
    await expect(r.getByText("Give either a CIDR or a security group as the peer").first()).toBeVisible();
    await expect(r.getByRole("button", { name: "Add rule" })).toBeDisabled();
    await r.getByLabel("CIDR").fill("203.0.113.0/24");
    await r.getByRole("button", { name: "Add rule" }).click();
    await expect(r).toBeHidden();
    await expect(page.getByRole("table", { name: "ingress rules" })).toContainText("203.0.113.0/24");
    expect(await axe(page)).toEqual([]);
    await page.screenshot({ path: `test-results/security-group-detail-${width}.png`, fullPage: true });

    await page.goto("/instances/new");
    await expect(page.getByRole("heading", { name: "Deploy instance", level: 1 })).toBeVisible();
    await page.getByRole("checkbox", { name: `${sharedName} (shared, ${cidr})` }).check();
    await expect(page.getByTestId(`nic-address-${sharedName}`)).toContainText(`198.51.${third}.100`);
    await expect(
      page.getByRole("group", { name: `Security groups on ${sharedName}` }).getByRole("checkbox", { name: group }),
    ).toBeVisible();
    await page
      .getByRole("group", { name: `Security groups on ${sharedName}` })
      .getByRole("checkbox", { name: group })
      .check();
    expect(await axe(page)).toEqual([]);
    await page.screenshot({ path: `test-results/deploy-shared-network-${width}.png`, fullPage: true });
  });
}
