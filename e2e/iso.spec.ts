import AxeBuilder from "@axe-core/playwright";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { expect, type Page, test } from "@playwright/test";
import { dialog, login, logins, unique } from "./fixtures";
import { openPage, trpcMutation, trpcQuery } from "./pages";

/**
 * ISOs on the instance page, on the simulator, at desktop and phone width: a tenant registers a
 * tiny ISO (made with xorriso, served by this spec on 127.0.0.1), attaches it to a running VM with
 * boot from ISO in the kit's dialog, sees it on the ISO line, and detaches it; axe finds nothing.
 */
test.describe.configure({ timeout: 150_000 });

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "stratus-e2e-iso-"));
let server: http.Server;
let base = "";

test.beforeAll(async () => {
  fs.mkdirSync(path.join(dir, "content"));
  fs.writeFileSync(path.join(dir, "content", "README.TXT"), "stratus\n");
  execFileSync("xorriso", ["-as", "mkisofs", "-quiet", "-o", path.join(dir, "tiny.iso"), path.join(dir, "content")], { stdio: "ignore" });
  server = http.createServer((req, res) => {
    const file = path.join(dir, path.basename(req.url ?? "/"));
    if (!file.endsWith(".iso") || !fs.existsSync(file)) return res.writeHead(404).end();
    res.writeHead(200, { "content-length": String(fs.statSync(file).size) });
    fs.createReadStream(file).pipe(res);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
test.afterAll(async () => {
  await new Promise((r) => server.close(r));
  fs.rmSync(dir, { recursive: true, force: true });
});

const axe = async (page: Page) =>
  (await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]).analyze()).violations.map(
    (v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(" | ")}`,
  );

for (const width of [1280, 390]) {
  test(`an ISO is attached to a running VM, to boot from, and detached on the instance page at ${width} px`, async ({ page }) => {
    await page.setViewportSize({ width, height: 900 });
    await login(page, logins.tenant.username, logins.tenant.password);
    const choices = await trpcQuery<{
      zones: { id: string; name: string }[];
      templates: { id: string; name: string }[];
      offerings: { id: string; name: string }[];
    }>(page, "instance.deployChoices", undefined);
    const zoneId = choices.zones.find((z) => z.name === "Zone 1")!.id;
    const isoName = unique("rescue");
    await trpcMutation(page, "template.registerFromUrl", {
      name: isoName,
      osType: "Other Linux (64-bit)",
      zoneId,
      format: "iso",
      url: `${base}/tiny.iso`,
    });
    const vmName = unique("iso-vm");
    const [vm] = await trpcMutation<{ id: string }[]>(page, "instance.deploy", {
      zoneId,
      templateId: choices.templates.find((t) => t.name === "Tiny Linux")!.id,
      computeOfferingId: choices.offerings.find((o) => o.name === "Small")!.id,
      name: vmName,
      count: 1,
    });
    await expect
      .poll(async () => (await trpcQuery<{ state: string }>(page, "instance.get", { id: vm!.id })).state, { timeout: 30_000 })
      .toBe("running");
    await expect
      .poll(async () => (await trpcQuery<{ name: string }[]>(page, "instance.isoChoices", { id: vm!.id })).map((i) => i.name), {
        timeout: 30_000,
      })
      .toContain(isoName);

    await openPage(page, `/instances/${vm!.id}`);
    const line = page.getByTestId("instance-iso");
    await expect(line).toContainText("None");
    await line.getByRole("button", { name: "Attach" }).click();
    const d = dialog(page, `Attach an ISO to ${vmName}`);
    await expect(d).toBeVisible();
    // Nothing chosen yet: the kit's submit waits for a valid form.
    await expect(d.getByRole("button", { name: "Attach" })).toBeDisabled();
    expect(await axe(page)).toEqual([]);
    await d.getByLabel("ISO", { exact: true }).selectOption({ label: isoName });
    await d.getByLabel(/Boot from this ISO/).check();
    await d.getByRole("button", { name: "Attach" }).click();
    await expect(d).toBeHidden();
    await expect(line).toContainText(isoName, { timeout: 20_000 });
    await expect(line).toContainText("Boots from it");
    expect(await axe(page)).toEqual([]);

    await line.getByRole("button", { name: "Detach" }).click();
    const c = dialog(page, `Detach the ISO from ${vmName}?`);
    await c.getByRole("button", { name: "Detach" }).click();
    await expect(c).toBeHidden();
    await expect(line).toContainText("None", { timeout: 20_000 });
    await expect(line.getByRole("button", { name: "Detach" })).toHaveCount(0);
  });
}
