import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect, test, type Page } from "@playwright/test";
import { login, logins, unique } from "./fixtures";
import { undefinePoolsUnder } from "../test/libvirt-pools";
import { newRouterNamespaces, routerNamespaces } from "./router-namespaces";

/**
 * The browser console of a real libvirt VM: the admin adds this machine's libvirt as a KVM host
 * with storage and the tiny test guest (through the API: e2e/libvirt.spec.ts covers those forms),
 * the tenant deploys a VM, opens its console from the instance page, and noVNC in Chromium shows
 * the guest's VGA screen through the portal's proxy (QEMU's per-VM VNC password is answered by
 * the proxy). Stopping the VM closes the console.
 *
 * Needs libvirtd at qemu:///system (root) and the image of scripts/build-test-image.sh. Without
 * them it FAILS with the reason; it never skips.
 */
test.describe.configure({ timeout: 300_000 });

const URI = "qemu:///system";
const image = path.resolve(process.env.STRATUS_TEST_IMAGE ?? ".cache/test-image/tiny.qcow2");
const virsh = (...args: string[]) =>
  execFileSync("virsh", ["-q", "-c", URI, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 60_000 }).trim();
const domains = () =>
  virsh("list", "--all", "--name")
    .split("\n")
    .map((s) => s.trim())
    .filter(Boolean);

const run = unique("lvc");
let dir = "";
let before = new Set<string>();
/** Router namespaces that existed before this spec. */
let namespacesBefore = new Set<string>();

test.beforeAll(() => {
  try {
    virsh("version");
  } catch (e) {
    throw new Error(
      `libvirtd is not reachable at ${URI} (${(e as { stderr?: string }).stderr?.trim() || (e as Error).message}); this spec needs real VMs`,
    );
  }
  if (!fs.existsSync(image)) throw new Error(`The tiny test image ${image} is missing: run bash scripts/build-test-image.sh`);
  before = new Set(domains());
  namespacesBefore = routerNamespaces();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "stratus-e2e-console-"));
  fs.chmodSync(dir, 0o755);
  fs.mkdirSync(path.join(dir, "primary"));
  fs.mkdirSync(path.join(dir, "secondary", "templates"), { recursive: true });
  fs.copyFileSync(image, path.join(dir, "secondary", "templates", "tiny.qcow2"));
});

test.afterAll(() => {
  let leftover: string[] = [];
  try {
    leftover = domains().filter((d) => !before.has(d));
  } catch {}
  for (const d of leftover) {
    try {
      virsh("destroy", "--domain", d);
    } catch {}
    try {
      virsh("undefine", "--domain", d);
    } catch {}
  }
  if (dir) undefinePoolsUnder(dir);
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

/** A tRPC call with the page's session (superjson envelope). */
async function trpc<T>(page: Page, procedure: string, input: unknown, kind: "query" | "mutation" = "mutation"): Promise<T> {
  const res =
    kind === "query"
      ? await page.request.get(`/api/trpc/${procedure}?input=${encodeURIComponent(JSON.stringify({ json: input }))}`)
      : await page.request.post(`/api/trpc/${procedure}`, { data: { json: input } });
  const body = (await res.json()) as { result?: { data?: { json?: T } }; error?: unknown };
  if (!res.ok()) throw new Error(`${procedure} failed: ${JSON.stringify(body.error)}`);
  return body.result!.data!.json!;
}

/** Share of canvas pixels that are not black, and how many colours (up to 16) it has. */
const canvasStats = (page: Page) =>
  page
    .getByTestId("console-screen")
    .locator("canvas")
    .evaluate((el) => {
      const c = el as HTMLCanvasElement;
      const d = c.getContext("2d")!.getImageData(0, 0, c.width, c.height).data;
      let lit = 0;
      const colours = new Set<number>();
      for (let i = 0; i < d.length; i += 4) {
        const v = (d[i]! << 16) | (d[i + 1]! << 8) | d[i + 2]!;
        if (v !== 0) lit++;
        if (colours.size < 16) colours.add(v);
      }
      return { width: c.width, height: c.height, lit: lit / (d.length / 4), colours: colours.size };
    });

test("a tenant opens the console of a real libvirt VM in the browser", async ({ page, browser, baseURL }) => {
  const ctx = await browser.newContext({ baseURL });
  const a = await ctx.newPage();
  const made: Record<string, string> = {};
  await test.step("admin: this machine's libvirt as a KVM host, storage and the tiny template", async () => {
    await login(a, logins.admin.username, logins.admin.password);
    const zones = await trpc<{ items: { id: string; name: string }[] }>(a, "zone.list", {}, "query");
    const zone = zones.items.find((z) => z.name === "Zone 1")!;
    const pods = await trpc<{ items: { id: string; zoneId: string }[] }>(a, "pod.list", { zoneId: zone.id }, "query");
    const cluster = await trpc<{ id: string }>(a, "cluster.create", {
      podId: pods.items[0]!.id,
      name: `KVM ${run}`,
      hypervisorType: "kvm",
    });
    made.cluster = cluster.id;
    made.storagePool = (
      await trpc<{ id: string }>(a, "storagePool.create", {
        zoneId: zone.id,
        clusterId: cluster.id,
        name: `primary-${run}`,
        type: "local_dir",
        path: path.join(dir, "primary"),
        capacityGib: 20,
      })
    ).id;
    made.secondaryStore = (
      await trpc<{ id: string }>(a, "secondaryStore.create", {
        zoneId: zone.id,
        name: `secondary-${run}`,
        path: path.join(dir, "secondary"),
        capacityGib: 20,
      })
    ).id;
    // One host per libvirt address: this spec removes it again at the end (e2e/libvirt.spec.ts adds its own).
    made.host = (
      await trpc<{ id: string }>(a, "host.create", {
        clusterId: cluster.id,
        hypervisorType: "kvm",
        name: `kvm-${run}`,
        address: URI,
        cpuCores: 1,
        cpuMhz: 1,
        memoryMib: 1,
        tags: [],
      })
    ).id;
    made.template = (
      await trpc<{ id: string }>(a, "template.register", {
        name: `Tiny console ${run}`,
        osType: "Other Linux (64-bit)",
        hypervisorType: "kvm",
        format: "qcow2",
        secondaryStoreId: made.secondaryStore,
        path: "templates/tiny.qcow2",
        isPublic: true,
      })
    ).id;
  });

  let vmPath = "";
  await test.step("tenant: deploys a VM from the template; it runs", async () => {
    await login(page, logins.tenant.username, logins.tenant.password);
    await page.goto("/instances/new");
    await page
      .getByRole("radiogroup", { name: "Template" })
      .getByRole("radio", { name: `Tiny console ${run}` })
      .check();
    await page.getByRole("radiogroup", { name: "Compute offering" }).getByRole("radio", { name: "Small" }).check();
    await page.getByLabel("Name", { exact: true }).fill(`vmc-${run}`);
    await page.getByRole("button", { name: "Deploy", exact: true }).click();
    await expect(page).toHaveURL(/\/instances\/[0-9a-f-]{36}$/);
    vmPath = new URL(page.url()).pathname;
    await expect(page.getByTestId("instance-state")).toHaveText("Running", { timeout: 120_000 });
  });

  await test.step("the console shows the guest's screen (not blank) once it has booted", async () => {
    await page.getByRole("toolbar", { name: "Instance actions" }).getByRole("link", { name: "Console" }).click();
    await expect(page.getByTestId("console-status")).toHaveAttribute("data-status", "connected", { timeout: 30_000 });
    // SeaBIOS, SYSLINUX and the guest's banner in VGA text: light text on black.
    await expect.poll(async () => (await canvasStats(page)).lit, { timeout: 60_000 }).toBeGreaterThan(0.003);
    const s = await canvasStats(page);
    expect(s.width).toBeGreaterThanOrEqual(640);
    expect(s.colours).toBeGreaterThanOrEqual(2);
    // A command typed in the browser runs in the guest's VGA shell and changes its screen.
    const before = await canvasStats(page);
    await page.getByTestId("console-screen").locator("canvas").click();
    await page.keyboard.type("echo stratus-console-typed");
    await page.keyboard.press("Enter");
    await expect.poll(async () => (await canvasStats(page)).lit, { timeout: 30_000 }).toBeGreaterThan(before.lit * 1.05);
    await expect(page.getByTestId("console-status")).toHaveAttribute("data-status", "connected");
    await page.screenshot({ path: test.info().outputPath("console-libvirt.png") });
  });

  await test.step("stopping the VM closes the console", async () => {
    await trpc(page, "instance.stop", { id: vmPath.split("/").pop(), force: true });
    await expect(page.getByTestId("console-status")).toHaveAttribute("data-status", "vm-stopped", { timeout: 60_000 });
  });

  await test.step("clean up: destroy and expunge", async () => {
    const id = vmPath.split("/").pop()!;
    await expect
      .poll(async () => (await trpc<{ state: string }>(page, "instance.get", { id }, "query")).state, { timeout: 60_000 })
      .toBe("stopped");
    await trpc(page, "instance.destroy", { id });
    await expect
      .poll(async () => (await trpc<{ state: string }>(page, "instance.get", { id }, "query")).state, { timeout: 60_000 })
      .toBe("destroyed");
    await trpc(page, "instance.expunge", { id });
    await expect
      .poll(
        () =>
          trpc(page, "instance.get", { id }, "query").then(
            () => "still there",
            (e: Error) => (/NOT_FOUND/.test(e.message) ? "gone" : e.message),
          ),
        { timeout: 60_000 },
      )
      .toBe("gone");
    // Remove what the admin added, so the libvirt host's address is free again (the secondary store
    // keeps the template, deactivated: the expunged VM's record still names it).
    for (const r of ["template", "host", "storagePool", "cluster"]) await trpc(a, `${r}.delete`, { id: made[r] });
    expect(newRouterNamespaces(namespacesBefore), "router namespaces left on this machine").toEqual([]);
    await ctx.close();
  });
});
