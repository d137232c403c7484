import { createHmac } from "node:crypto";
import { expect, test, type APIRequestContext, type Page } from "@playwright/test";
import { dialog, login, logins, unique } from "./fixtures";
import { trpcMutation } from "./pages";
import { runningVm } from "./running-vm";

/**
 * The API-keys card of Settings: a key is made (its secret shown once, copyable), a request signed
 * with it as a CloudStack client would sign it is answered, and once the key is revoked in the
 * page the same request is refused. SCREENSHOTS=<folder> also renders the card at 1280 and 390 px.
 */

/** CloudStack's signature: sorted name=value pairs (values URL-encoded), lower-cased, HMAC-SHA1, base64. */
function signedQuery(params: Record<string, string>, secret: string) {
  const enc = (v: string) => encodeURIComponent(v).replace(/[!'()*~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  const query = Object.keys(params)
    .sort()
    .map((k) => `${k}=${enc(params[k]!)}`)
    .join("&");
  const signature = createHmac("sha1", secret).update(query.toLowerCase()).digest("base64");
  return `${query}&signature=${enc(signature)}`;
}

const listZones = (request: APIRequestContext, apiKey: string, secret: string) =>
  request.get(`/client/api?${signedQuery({ command: "listZones", response: "json", apiKey }, secret)}`);

async function shoot(page: Page, name: string) {
  const dir = process.env.SCREENSHOTS;
  if (!dir) return;
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.screenshot({ path: `${dir}/stratus-api-keys-${name}-1280.png`, fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.screenshot({ path: `${dir}/stratus-api-keys-${name}-390.png`, fullPage: true });
  await page.setViewportSize({ width: 1280, height: 900 });
}

test("a key made on Settings signs API requests until it is revoked there", async ({ page, context, request }) => {
  await context.grantPermissions(["clipboard-read", "clipboard-write"]);
  await login(page, logins.tenant.username, logins.tenant.password);
  await page.goto("/settings");
  const name = unique("e2e-key");
  const form = page.getByRole("form", { name: "New API key" });
  await form.getByLabel("Name").fill(name);
  await form.getByRole("button", { name: "Create key" }).click();

  const apiKey = (await page.getByTestId("issued-api-key").textContent())!.trim();
  const secret = (await page.getByTestId("issued-secret-key").textContent())!.trim();
  expect(apiKey.length).toBeGreaterThan(20);
  expect(secret.length).toBeGreaterThan(20);
  await page.getByRole("button", { name: "Copy secret key" }).click();
  await expect(page.getByRole("button", { name: "Copied", exact: true })).toBeVisible();
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(secret);
  await shoot(page, "issued");

  const ok = await listZones(request, apiKey, secret);
  expect(ok.status()).toBe(200);
  expect(Object.keys((await ok.json()) as object)).toEqual(["listzonesresponse"]);

  // Shown once: gone after "I have copied it", and not on the page again.
  await page.getByRole("button", { name: "I have copied it" }).click();
  await expect(page.getByTestId("issued-secret-key")).toHaveCount(0);
  await page.reload();
  const keys = page.getByRole("list", { name: "API keys" });
  await expect(keys.getByText(name, { exact: true })).toBeVisible();
  await expect(page.getByText(secret)).toHaveCount(0);
  await shoot(page, "list");

  await keys.getByRole("button", { name: `Revoke ${name}` }).click();
  await dialog(page, `Revoke “${name}”?`).getByRole("button", { name: "Revoke" }).click();
  await expect(keys.getByText(name, { exact: true })).toHaveCount(0);

  const refused = await listZones(request, apiKey, secret);
  expect(refused.status()).toBe(401);
  expect(((await refused.json()) as { listzonesresponse: { errorcode: number } }).listzonesresponse.errorcode).toBe(401);
});

test("a createConsoleEndpoint link opens the VM's console in a browser without a portal session", async ({ page, browser, request }) => {
  await login(page, logins.tenant.username, logins.tenant.password);
  const vmId = await runningVm(page, unique("e2e-link-console"));
  const key = await trpcMutation<{ apiKey: string; secretKey: string }>(page, "apiKey.create", { name: unique("console-link") });
  const expires = new Date(Date.now() + 60_000).toISOString().replace(/\.\d{3}Z$/, "+0000");
  const params = {
    command: "createConsoleEndpoint",
    virtualmachineid: vmId,
    response: "json",
    apiKey: key.apiKey,
    signatureVersion: "3",
    expires,
  };
  const res = await request.get(`/client/api?${signedQuery(params, key.secretKey)}`);
  expect(res.status()).toBe(200);
  const { url } = ((await res.json()) as { createconsoleendpointresponse: { consoleendpoint: { url: string } } })
    .createconsoleendpointresponse.consoleendpoint;
  const anonymous = await browser.newContext();
  const tab = await anonymous.newPage();
  const link = new URL(url);
  await tab.goto(new URL(link.pathname + link.hash, page.url()).toString());
  await expect(tab.getByTestId("console-status")).toHaveAttribute("data-status", "connected", { timeout: 30_000 });
  expect(new URL(tab.url()).hash).toBe(""); // the ticket left the address bar
  await shoot(tab, "console-link");
  await anonymous.close();
});

test("a reseller revokes a key of a user in its subtree from the Users page", async ({ page, request }) => {
  await login(page, logins.tenant.username, logins.tenant.password);
  const name = unique("leaked");
  const key = await trpcMutation<{ apiKey: string; secretKey: string }>(page, "apiKey.create", { name });
  expect((await listZones(request, key.apiKey, key.secretKey)).status()).toBe(200);
  await page.getByRole("button", { name: "Sign out", exact: true }).click();

  await login(page, logins.reseller.username, logins.reseller.password);
  await page.goto("/users");
  await page.getByLabel("Search users").fill(logins.tenant.username);
  const row = page.getByRole("row").filter({ hasText: logins.tenant.username }).first();
  await row.getByRole("button", { name: `Actions for ${logins.tenant.username}` }).click();
  await page.getByRole("menuitem", { name: "API keys" }).click();
  const keys = dialog(page, `API keys of ${logins.tenant.username}`);
  await expect(keys.getByText(name)).toBeVisible();
  await keys.getByRole("button", { name: `Revoke ${name}` }).click();
  await expect(keys.getByText(name)).toHaveCount(0);
  expect((await listZones(request, key.apiKey, key.secretKey)).status()).toBe(401);
});
