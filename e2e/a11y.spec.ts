import AxeBuilder from "@axe-core/playwright";
import { expect, test } from "@playwright/test";
import { login } from "./fixtures";
import { openPage, pagesOf, resolvePath, type Role, roleLogin } from "./pages";

/**
 * axe-core on every page, as each role, at desktop and phone width: zero violations (WCAG 2.1 AA
 * rules and axe's best practices). The kit's colours, labels and landmarks are what make this hold.
 */
const axe = (page: import("@playwright/test").Page) =>
  new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]).analyze();

const summary = (v: Awaited<ReturnType<typeof axe>>["violations"]) =>
  v.map(
    (x) =>
      `${x.id}: ${x.nodes
        .map((n) => n.target.join(" "))
        .slice(0, 5)
        .join(" | ")}`,
  );

test("the login page", async ({ page }) => {
  await page.goto("/login");
  await expect(page.getByRole("button", { name: "Sign in" })).toBeVisible();
  expect(summary((await axe(page)).violations)).toEqual([]);
});

for (const role of Object.keys(pagesOf) as Role[]) {
  test(`every page as ${role}`, async ({ page }) => {
    // A long walk by nature: up to 12 s a page (load, network idle, axe) on a busy machine.
    test.setTimeout(60_000 + pagesOf[role].length * 12_000);
    const who = roleLogin(role);
    await login(page, who.username, who.password);
    const failures: Record<string, string[]> = {};
    for (const path of pagesOf[role]) {
      const url = await resolvePath(page, path);
      await openPage(page, url);
      const found = summary((await axe(page)).violations);
      if (found.length) failures[path] = found;
    }
    expect(failures).toEqual({});
  });
}

test("an open dialog and an open row menu", async ({ page }) => {
  const who = roleLogin("admin");
  await login(page, who.username, who.password);
  await openPage(page, "/infrastructure/hosts");
  await page.getByRole("button", { name: "Actions for host sim-host-1" }).click();
  await expect(page.getByRole("menu")).toBeVisible();
  expect(summary((await axe(page)).violations)).toEqual([]);
  await page.keyboard.press("Escape");
  await page.getByRole("button", { name: "Add host" }).click();
  await expect(page.getByRole("dialog", { name: "Add host" })).toBeVisible();
  expect(summary((await axe(page)).violations)).toEqual([]);
});

/** The kit's dialogs on the pages moved onto it, open, with their live validation showing. */
const dialogs: { path: string; open: string; title: string; type?: [string, string] }[] = [
  { path: "/accounts", open: "Add account", title: "Add account", type: ["Password", "short"] },
  { path: "/users", open: "Add user", title: "Add user", type: ["Username", "x"] },
  { path: "/domains", open: "Add sub-domain", title: "Add sub-domain", type: ["Domain name", "a/b"] },
  { path: "/offerings/compute", open: "Add offering", title: "Add compute offering" },
  { path: "/offerings/disk", open: "Add offering", title: "Add disk offering" },
  { path: "/infrastructure/simulator", open: "Inject fault", title: "Inject a fault" },
];
test("the kit's dialogs, open", async ({ page }) => {
  test.setTimeout(120_000);
  const who = roleLogin("admin");
  await login(page, who.username, who.password);
  const failures: Record<string, string[]> = {};
  for (const d of dialogs) {
    await openPage(page, d.path);
    await page.getByRole("button", { name: d.open, exact: true }).click();
    const box = page.getByRole("dialog", { name: d.title });
    await expect(box.getByRole("button", { name: "Cancel" })).toBeVisible();
    if (d.type) await box.getByLabel(d.type[0], { exact: true }).fill(d.type[1]);
    const found = summary((await axe(page)).violations);
    if (found.length) failures[d.title] = found;
    await page.keyboard.press("Escape");
    await expect(box).toBeHidden();
  }
  expect(failures).toEqual({});
});
