import { expect, test, type Page } from "@playwright/test";
import { BACKGROUND, CELL_H, ROW, textMask } from "../server/orchestrator/drivers/simulator/rfb/screen";
import { login, logins, unique } from "./fixtures";

/**
 * The browser console of a simulator VM: noVNC in Chromium, through the portal's WebSocket proxy,
 * to the simulator's RFB server. The canvas is read back pixel by pixel: the simulator draws its
 * text with a known bitmap font at known places, so the test looks for exact text, not just
 * "something changed".
 */
const canvas = (page: Page) => page.getByTestId("console-screen").locator("canvas");

/** Whether `text` is drawn at text row `row` of the console's framebuffer (the canvas keeps the framebuffer's size). */
async function showsText(page: Page, row: number, text: string): Promise<boolean> {
  const mask = textMask(text).map((r) => r.map((on) => (on ? "#" : ".")).join(""));
  return canvas(page).evaluate(
    (el, { mask, y, bg }) => {
      const c = el as HTMLCanvasElement;
      const ctx = c.getContext("2d");
      if (!ctx || c.width < mask[0]!.length) return false;
      const img = ctx.getImageData(0, y, mask[0]!.length, mask.length).data;
      for (let dy = 0; dy < mask.length; dy++)
        for (let dx = 0; dx < mask[dy]!.length; dx++) {
          const o = (dy * mask[dy]!.length + dx) * 4;
          const isBg = img[o] === bg[0] && img[o + 1] === bg[1] && img[o + 2] === bg[2];
          if ((mask[dy]![dx] === "#") === isBg) return false;
        }
      return true;
    },
    { mask, y: row * CELL_H, bg: [...BACKGROUND] },
  );
}

/** A digest of the canvas and the share of pixels that are not background. */
async function canvasSummary(page: Page) {
  return canvas(page).evaluate(
    (el, bg) => {
      const c = el as HTMLCanvasElement;
      const data = c.getContext("2d")!.getImageData(0, 0, c.width, c.height).data;
      let fg = 0;
      let hash = 0;
      const colours = new Set<number>();
      for (let i = 0; i < data.length; i += 4) {
        const v = (data[i]! << 16) | (data[i + 1]! << 8) | data[i + 2]!;
        if (colours.size < 64) colours.add(v);
        if (data[i] !== bg[0] || data[i + 1] !== bg[1] || data[i + 2] !== bg[2]) fg++;
        hash = (hash * 31 + v) | 0;
      }
      return { width: c.width, height: c.height, foreground: fg / (data.length / 4), colours: colours.size, hash };
    },
    [...BACKGROUND],
  );
}

/** Calls a tRPC mutation with the page's session (superjson envelope). */
async function mutate(page: Page, path: string, input: unknown) {
  const res = await page.request.post(`/api/trpc/${path}`, { data: { json: input } });
  expect(res.ok(), await res.text()).toBe(true);
}

test("a tenant opens a simulator VM's console: the screen shows the VM, typing and the toolbar reach it, stopping the VM closes it", async ({
  page,
}) => {
  const name = unique("con");
  let vmPath = "";

  await test.step("deploy a VM", async () => {
    await login(page, logins.tenant.username, logins.tenant.password);
    await page.goto("/instances/new");
    await page.getByRole("radiogroup", { name: "Template" }).getByRole("radio", { name: "Tiny Linux" }).check();
    await page.getByRole("radiogroup", { name: "Compute offering" }).getByRole("radio", { name: "Small" }).check();
    await page.getByLabel("Name", { exact: true }).fill(name);
    await page.getByRole("button", { name: "Deploy", exact: true }).click();
    await expect(page).toHaveURL(/\/instances\/[0-9a-f-]{36}$/);
    vmPath = new URL(page.url()).pathname;
    await expect(page.getByTestId("instance-state")).toHaveText("Running", { timeout: 30_000 });
  });

  await test.step("open the console: connected, the canvas shows the banner and the VM's name", async () => {
    await page.getByRole("toolbar", { name: "Instance actions" }).getByRole("link", { name: "Console" }).click();
    await expect(page).toHaveURL(`${vmPath}/console`);
    await expect(page.getByTestId("console-status")).toHaveAttribute("data-status", "connected", { timeout: 20_000 });
    await expect(page.getByTestId("console-status")).toContainText(name);
    await expect.poll(() => showsText(page, ROW.banner, "Stratus simulated console"), { timeout: 10_000 }).toBe(true);
    await expect.poll(() => showsText(page, ROW.name, `VM: ${name} (i-`)).toBe(true);
    await expect.poll(() => showsText(page, ROW.state, "State: running")).toBe(true);
    const s = await canvasSummary(page);
    expect(s.width).toBeGreaterThan(600);
    expect(s.foreground).toBeGreaterThan(0.01);
    expect(s.colours).toBeGreaterThan(2);
    await page.screenshot({ path: test.info().outputPath("console-connected.png") });
  });

  await test.step("keys typed on the canvas reach the VM and change the screen", async () => {
    const before = await canvasSummary(page);
    await canvas(page).click();
    await page.keyboard.type("echo hello");
    await page.keyboard.press("Enter");
    await expect.poll(() => showsText(page, ROW.terminal + 1, "you typed: echo hello"), { timeout: 10_000 }).toBe(true);
    expect(await showsText(page, ROW.terminal, "$ echo hello")).toBe(true);
    expect((await canvasSummary(page)).hash).not.toBe(before.hash);
  });

  await test.step("the toolbar types text and sends Ctrl-Alt-Del", async () => {
    await page.getByRole("button", { name: "Type text…" }).click();
    await page.getByLabel("Text to type into the console").fill("pasted words");
    await page.getByRole("button", { name: "Type it" }).click();
    await expect.poll(() => showsText(page, ROW.terminal + 2, "$ pasted words_"), { timeout: 10_000 }).toBe(true);
    await page.getByRole("button", { name: "Ctrl-Alt-Del" }).click();
    await expect
      .poll(() => showsText(page, ROW.terminal + 2, "[Ctrl-Alt-Del received: the simulator does not reboot]"), { timeout: 10_000 })
      .toBe(true);
    await page.screenshot({ path: test.info().outputPath("console-typed.png") });
  });

  await test.step("reconnect opens a fresh session on the same screen", async () => {
    await page.getByRole("button", { name: "Reconnect" }).click();
    await expect(page.getByTestId("console-status")).toHaveAttribute("data-status", "connected", { timeout: 20_000 });
    await expect.poll(() => showsText(page, ROW.terminal + 1, "you typed: echo hello"), { timeout: 10_000 }).toBe(true);
  });

  await test.step("stopping the VM closes the console with the reason", async () => {
    await mutate(page, "instance.stop", { id: vmPath.split("/").pop(), force: true });
    await expect(page.getByTestId("console-status")).toHaveAttribute("data-status", "vm-stopped", { timeout: 20_000 });
    await expect(page.getByTestId("console-status")).toContainText("VM stopped");
    // A stopped VM gets no new console.
    await page.getByRole("button", { name: "Reconnect" }).click();
    await expect(page.getByTestId("console-status")).toHaveAttribute("data-status", "vm-stopped");
    await expect(page.getByTestId("console-status")).toContainText(/stopp/);
  });
});

test("another account's tenant cannot open the console", async ({ browser, page }) => {
  const name = unique("con-x");
  await login(page, logins.tenant.username, logins.tenant.password);
  await page.goto("/instances/new");
  await page.getByRole("radiogroup", { name: "Template" }).getByRole("radio", { name: "Tiny Linux" }).check();
  await page.getByRole("radiogroup", { name: "Compute offering" }).getByRole("radio", { name: "Small" }).check();
  await page.getByLabel("Name", { exact: true }).fill(name);
  await page.getByRole("button", { name: "Deploy", exact: true }).click();
  await expect(page).toHaveURL(/\/instances\/[0-9a-f-]{36}$/);
  const vmPath = new URL(page.url()).pathname;
  await expect(page.getByTestId("instance-state")).toHaveText("Running", { timeout: 30_000 });

  const ctx = await browser.newContext();
  const other = await ctx.newPage();
  await login(other, logins.globex.username, logins.globex.password);
  await other.goto(`${vmPath}/console`);
  await expect(other.getByTestId("console-status")).toHaveAttribute("data-status", "access-revoked", { timeout: 20_000 });
  await expect(other.getByTestId("console-status")).toContainText("not found");
  await expect(other.getByTestId("console-screen").locator("canvas")).toHaveCount(0);
  await ctx.close();
});
