import { expect, test } from "@playwright/test";
import { dialog, login, logins, unique } from "./fixtures";
import { trpcMutation, trpcQuery } from "./pages";
import { axe, runningVm } from "./running-vm";

/**
 * Snapshots and templates made from what a tenant has, through the UI on the simulator: "Snapshot
 * now" in the root volume's row menu on the instance page's Storage card, a new volume and a new
 * template from that snapshot's row on the volume page (the size checked against the snapshot's),
 * and "Make template" of the root volume refused while the VM runs, then made once it is stopped.
 */
test.describe.configure({ timeout: 150_000 });

test("snapshot now on the instance page; a volume and templates from a snapshot and a volume", async ({ page }) => {
  await page.setViewportSize({ width: 1280, height: 900 });
  await login(page, logins.tenant.username, logins.tenant.password);
  const vmName = unique("from-vm");
  const vmId = await runningVm(page, vmName);
  const { items } = await trpcQuery<{ items: { id: string; name: string; sizeGib: number }[] }>(page, "volume.list", { instanceId: vmId });
  const root = items[0]!;
  const snapshots = () => trpcQuery<{ id: string; name: string; state: string }[]>(page, "snapshot.list", { volumeId: root.id });

  await test.step("Snapshot now from the Storage card's row menu", async () => {
    await page.goto(`/instances/${vmId}`);
    const storage = page.getByTestId("instance-storage");
    const menuButton = storage.getByRole("button", { name: `Actions for volume ${root.name}` });
    // Opened once the page has hydrated (a click before that is lost).
    await expect(async () => {
      if ((await menuButton.getAttribute("aria-expanded")) !== "true") await menuButton.click();
      await expect(page.getByRole("menu", { name: `Actions for volume ${root.name}` })).toBeVisible({ timeout: 1000 });
    }).toPass({ timeout: 15_000 });
    await expect(page.getByRole("menuitem", { name: "Make template" })).toBeDisabled();
    await page.getByRole("menuitem", { name: "Snapshot now" }).click();
    await expect(page.getByRole("status")).toContainText(`Snapshot of ${root.name}`);
    await expect.poll(async () => (await snapshots()).map((s) => s.state), { timeout: 20_000 }).toEqual(["ready"]);
    expect(await axe(page)).toEqual([]);
  });

  const list = page.getByRole("list", { name: "Snapshots of this volume" });
  const volName = unique("from-snap");
  await test.step("a new volume from the snapshot's row, at least its size", async () => {
    await page.goto(`/volumes/${root.id}`);
    await list.getByRole("button", { name: "New volume" }).click();
    const d = dialog(page, /New volume from snapshot/);
    await d.getByLabel("Name").fill(volName);
    // The tiny template's root disk is 1 GiB: below that the form says why as it is typed (the server
    // also refuses anything smaller than the snapshot, tested in create-from.test.ts).
    await d.getByLabel("Size (GiB)").fill("0");
    await expect(d.getByRole("alert")).toContainText("Size must be at least 1 GiB");
    expect(await axe(page)).toEqual([]);
    await d.getByLabel("Size (GiB)").fill(String(root.sizeGib + 1));
    await d.getByRole("button", { name: "Create volume" }).click();
    await expect(d).toBeHidden();
    await page.goto("/volumes");
    const row = page.getByRole("row", { name: new RegExp(volName) });
    await expect(row).toContainText("Ready", { timeout: 20_000 });
    await expect(row).toContainText(`${root.sizeGib + 1} GiB`);
  });

  await test.step("a new template from the snapshot's row", async () => {
    await page.goto(`/volumes/${root.id}`);
    await list.getByRole("button", { name: "New template" }).click();
    const d = dialog(page, /New template from snapshot/);
    await d.getByLabel("Name").fill(`${volName}-tpl`);
    await d.getByLabel("OS type").fill("Debian GNU/Linux 12 (64-bit)");
    await d.getByRole("button", { name: "Create template" }).click();
    await expect(d).toBeHidden();
    await expect
      .poll(
        async () =>
          (await trpcQuery<{ name: string; status: string }[]>(page, "template.listImages", { filter: "mine" })).find(
            (t) => t.name === `${volName}-tpl`,
          )?.status,
        { timeout: 20_000 },
      )
      .toBe("ready");
  });

  await test.step("Make template of the root volume: only with the VM stopped", async () => {
    const toolbar = page.getByRole("toolbar", { name: "Volume actions" });
    const make = toolbar.getByRole("button", { name: "Make template" });
    await expect(make).toBeDisabled();
    await expect(make).toHaveAttribute("title", "Stop its instance first");
    await trpcMutation(page, "instance.stop", { id: vmId });
    await expect(make).toBeEnabled({ timeout: 30_000 });
    await make.click();
    const d = dialog(page, `Make a template of volume ${root.name}`);
    await d.getByLabel("Name").fill(`${volName}-root-tpl`);
    expect(await axe(page)).toEqual([]);
    await d.getByRole("button", { name: "Make template" }).click();
    await expect(d).toBeHidden();
    await page.goto("/templates");
    await expect(page.getByRole("row", { name: new RegExp(`${volName}-root-tpl`) })).toContainText(/ready/i, { timeout: 20_000 });
  });
});
