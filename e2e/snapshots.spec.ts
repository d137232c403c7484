import { expect, test } from "@playwright/test";
import { dialog, login, logins, unique } from "./fixtures";
import { trpcMutation, trpcQuery } from "./pages";
import { axe, runningVm } from "./running-vm";

/**
 * Volume snapshots through the UI on the simulator, at desktop and phone width: a tenant takes a
 * snapshot of its VM's root volume, cannot revert while the VM runs, reverts once it is stopped,
 * deletes the snapshot, and adds a weekly policy whose next run times show in the browser's own
 * time zone (Tokyo here, the policy in UTC); axe finds nothing on the way.
 */
test.describe.configure({ timeout: 150_000 });
test.use({ timezoneId: "Asia/Tokyo" });

for (const width of [1280, 390]) {
  test(`snapshots and policies on a volume's page at ${width} px`, async ({ page }) => {
    await page.setViewportSize({ width, height: 900 });
    await login(page, logins.tenant.username, logins.tenant.password);
    const vmName = unique("snap-vm");
    const vmId = await runningVm(page, vmName);
    const { items } = await trpcQuery<{ items: { id: string; name: string }[] }>(page, "volume.list", { instanceId: vmId });
    const root = items[0]!;
    await page.goto(`/volumes/${root.id}`);
    const list = page.getByRole("list", { name: "Snapshots of this volume" });

    await test.step("take a snapshot now", async () => {
      await expect(page.getByText("No snapshots yet")).toBeVisible();
      expect(await axe(page)).toEqual([]);
      await page.getByRole("button", { name: "Take snapshot" }).click();
      await expect(list.getByTestId("snapshot-row")).toHaveCount(1);
      await expect(list.getByTestId("snapshot-row")).toContainText("ready", { timeout: 20_000 });
    });

    await test.step("revert only once the VM is stopped", async () => {
      const revert = list.getByRole("button", { name: "Revert" });
      await expect(revert).toBeDisabled();
      await expect(revert).toHaveAttribute("title", `Stop ${vmName} first`);
      await trpcMutation(page, "instance.stop", { id: vmId });
      await expect
        .poll(async () => (await trpcQuery<{ state: string }>(page, "instance.get", { id: vmId })).state, { timeout: 30_000 })
        .toBe("stopped");
      await expect(revert).toBeEnabled({ timeout: 15_000 });
      await revert.click();
      const d = dialog(page, new RegExp(`Revert ${root.name} to`));
      await expect(d).toContainText("Everything written to the volume since this snapshot is lost.");
      expect(await axe(page)).toEqual([]);
      await d.getByRole("button", { name: "Revert" }).click();
      await expect(d).toBeHidden();
      await expect(page.getByTestId("volume-state")).toHaveText("Ready", { timeout: 20_000 });
      await expect(page.getByText(`${root.name} is reverted to snapshot`)).toBeVisible({ timeout: 15_000 });
    });

    await test.step("add a weekly policy in UTC and see its next runs in Tokyo time", async () => {
      await page.getByRole("button", { name: "Add policy" }).click();
      const d = dialog(page, `Add a snapshot policy to ${root.name}`);
      await d.getByLabel("Frequency").selectOption("weekly");
      await d.getByLabel("Weekday").fill("1");
      await d.getByLabel("Hour").fill("3");
      await d.getByLabel("Minute").fill("15");
      await d.getByLabel("Time zone").fill("Mars/Olympus");
      await expect(d.getByRole("alert")).toHaveText("Time zone must be an IANA time zone such as Europe/Berlin");
      expect(await axe(page)).toEqual([]);
      await d.getByLabel("Time zone").fill("UTC");
      await d.getByLabel("Keep the newest").fill("4");
      await d.getByRole("button", { name: "Add policy" }).click();
      await expect(d).toBeHidden();
      const row = page.getByTestId("policy-row");
      await expect(row).toContainText("Weekly: every Monday at 03:15 (UTC)");
      await expect(row).toContainText("Keeps the newest 4");
      // Monday 03:15 UTC is Monday 12:15 in Tokyo.
      const next = row.getByTestId("policy-next-runs");
      await expect(next).toContainText("Next (Asia/Tokyo):");
      await expect(next).toContainText(/\d{4}-\d\d-\d\d 12:15, \d{4}-\d\d-\d\d 12:15, \d{4}-\d\d-\d\d 12:15/);
      expect(await axe(page)).toEqual([]);
    });

    await test.step("delete the snapshot and the policy", async () => {
      await list.getByRole("button", { name: "Delete" }).click();
      const d = dialog(page, /Delete snapshot/);
      await d.getByRole("button", { name: "Delete" }).click();
      await expect(d).toBeHidden();
      await expect(page.getByText("No snapshots yet")).toBeVisible({ timeout: 20_000 });
      await page.getByTestId("policy-row").getByRole("button", { name: "Delete" }).click();
      await dialog(page, "Delete this policy?").getByRole("button", { name: "Delete" }).click();
      await expect(page.getByText("No policies")).toBeVisible();
    });
  });
}
