import { expect, test, type APIRequestContext, type BrowserContext } from "@playwright/test";
import { dialog, login, logins, logout } from "./fixtures";

/**
 * Sessions end on the server: a session cookie copied before sign-out gets nothing afterwards, and
 * Settings lists one's sessions and signs the others out. SCREENSHOTS=<folder> also renders the
 * sessions list at desktop and phone widths.
 */
async function sessionCookie(context: BrowserContext): Promise<string> {
  const c = (await context.cookies()).find((x) => x.name.endsWith("next-auth.session-token"));
  expect(c, "the session cookie").toBeTruthy();
  return `${c!.name}=${c!.value}`;
}

/** session.me, as the JSON the tRPC endpoint answers with (superjson's "json" field). */
async function me(request: APIRequestContext, cookie: string) {
  const res = await request.get("/api/trpc/session.me", { headers: { cookie } });
  expect(res.ok()).toBe(true);
  return ((await res.json()) as { result: { data: { json: { username: string } | null } } }).result.data.json;
}

test("a session cookie copied before sign-out gets nothing afterwards", async ({ page, context, request }) => {
  await login(page, logins.tenant.username, logins.tenant.password);
  const copied = await sessionCookie(context);
  expect((await me(request, copied))?.username).toBe("tenant");
  const listBefore = await request.get(`/api/trpc/instance.list?input=${encodeURIComponent(JSON.stringify({ json: {} }))}`, {
    headers: { cookie: copied },
  });
  expect(listBefore.status()).toBe(200);

  await logout(page);

  expect(await me(request, copied)).toBeNull();
  const listAfter = await request.get(`/api/trpc/instance.list?input=${encodeURIComponent(JSON.stringify({ json: {} }))}`, {
    headers: { cookie: copied },
  });
  expect(listAfter.status()).toBe(401);
  const ticket = await request.post("/api/trpc/console.ticket", {
    headers: { cookie: copied, "content-type": "application/json" },
    data: { json: { id: "00000000-0000-4000-8000-000000000000" } },
  });
  expect(ticket.status()).toBe(401);
  // Server-rendered pages send it to the login page.
  const pageRes = await request.get("/", { headers: { cookie: copied }, maxRedirects: 0 });
  expect([303, 307, 308]).toContain(pageRes.status());
  expect(pageRes.headers()["location"]).toMatch(/\/login/);
});

test("Settings lists the user's sessions and signs out all others", async ({ browser }) => {
  const here = await browser.newContext();
  const there = await browser.newContext({
    userAgent: "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Safari/605.1.15",
  });
  const page = await here.newPage();
  const other = await there.newPage();
  try {
    await login(other, logins.reseller.username, logins.reseller.password);
    await login(page, logins.reseller.username, logins.reseller.password);
    await page.goto("/settings");
    const list = page.getByRole("list", { name: "Active sessions" });
    await expect(list.getByRole("listitem")).not.toHaveCount(0);
    await expect(list.getByRole("listitem").first()).toContainText("This session");
    await expect(list.getByText("Safari on macOS")).toBeVisible();

    const dir = process.env.SCREENSHOTS;
    if (dir) {
      await page.setViewportSize({ width: 1280, height: 900 });
      await page.screenshot({ path: `${dir}/stratus-settings-sessions-1280.png`, fullPage: true });
      await page.setViewportSize({ width: 390, height: 844 });
      await page.reload();
      await expect(list.getByText("Safari on macOS")).toBeVisible();
      await page.screenshot({ path: `${dir}/stratus-settings-sessions-390.png`, fullPage: true });
      await page.setViewportSize({ width: 1280, height: 900 });
      await page.reload();
    }

    await page.getByRole("button", { name: "Sign out all others" }).click();
    await dialog(page, "Sign out all other sessions?").getByRole("button", { name: "Sign out all others" }).click();
    await expect(page.getByText(/Signed out \d+ other sessions?/)).toBeVisible();
    await expect(list.getByRole("listitem")).toHaveCount(1);
    await expect(list.getByRole("listitem")).toContainText("This session");
    await expect(page.getByRole("button", { name: "Sign out all others" })).toBeDisabled();

    // The other browser is signed out at its next request; this one goes on.
    await other.goto("/");
    await expect(other).toHaveURL(/\/login/);
    await page.reload();
    await expect(page.getByTestId("current-user")).toHaveText(logins.reseller.username);
  } finally {
    await here.close();
    await there.close();
  }
});
