import { expect, test } from "@playwright/test";
import { dialog, login, logins, unique } from "./fixtures";
import { axe, runningVm } from "./running-vm";

/**
 * VM snapshots on the instance page (simulator), at desktop and phone width: a tenant takes a
 * snapshot with memory of its running VM, sees it Ready and current, reverts to it (the dialog says
 * what is lost), and deletes it; axe finds nothing on the way. SCREENSHOTS=<folder> keeps pictures.
 */
test.describe.configure({ timeout: 120_000 });

for (const width of [1280, 390]) {
  test(`VM snapshots card on the instance page at ${width} px`, async ({ page }) => {
    await page.setViewportSize({ width, height: 900 });
    await login(page, logins.tenant.username, logins.tenant.password);
    const vmName = unique("vmsnap");
    const vmId = await runningVm(page, vmName);
    await page.goto(`/instances/${vmId}`);
    const shot = async (what: string) => {
      if (process.env.SCREENSHOTS)
        await page.screenshot({ path: `${process.env.SCREENSHOTS}/vm-snapshots-${what}-${width}.png`, fullPage: true });
    };

    await test.step("take a snapshot with memory", async () => {
      await expect(page.getByText("No VM snapshots")).toBeVisible();
      await page.getByRole("button", { name: "Take VM snapshot" }).click();
      const d = dialog(page, `Take a VM snapshot of ${vmName}`);
      await d.getByLabel("Name").fill("before-upgrade");
      await d.getByLabel("Description").fill("Known good state");
      await expect(d.getByLabel(/Include memory/)).toBeChecked();
      expect(await axe(page)).toEqual([]);
      await shot("take");
      await d.getByRole("button", { name: "Take snapshot" }).click();
      await expect(d).toBeHidden();
      const row = page.getByRole("list", { name: `VM snapshots of ${vmName}` }).getByTestId("vm-snapshot-row");
      await expect(row).toHaveCount(1);
      await expect(row).toContainText("ready", { timeout: 20_000 });
      await expect(row).toContainText("current");
      await expect(row).toContainText("disks and memory");
      await expect(row).toContainText("Known good state");
      await expect(row).toContainText(/· \d+(\.\d)? [MG]iB ·/);
      expect(await axe(page)).toEqual([]);
      await shot("list");
    });

    await test.step("revert to it: the dialog says what is lost", async () => {
      await page.getByTestId("vm-snapshot-row").getByRole("button", { name: "Revert" }).click();
      const d = dialog(page, `Revert ${vmName} to before-upgrade?`);
      await expect(d).toContainText("Everything it did and wrote since is lost.");
      expect(await axe(page)).toEqual([]);
      await d.getByRole("button", { name: "Revert" }).click();
      await expect(d).toBeHidden();
      await expect(page.getByText(`${vmName} is reverted to VM snapshot before-upgrade`)).toBeVisible({ timeout: 20_000 });
      await expect(page.getByTestId("vm-snapshot-row")).toContainText("ready");
    });

    await test.step("delete it", async () => {
      const del = page.getByTestId("vm-snapshot-row").getByRole("button", { name: "Delete" });
      await expect(del).toBeEnabled({ timeout: 15_000 });
      await del.click();
      const d = dialog(page, "Delete VM snapshot before-upgrade?");
      await d.getByRole("button", { name: "Delete" }).click();
      await expect(d).toBeHidden();
      await expect(page.getByText("No VM snapshots")).toBeVisible({ timeout: 20_000 });
    });
  });
}
