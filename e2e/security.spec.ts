import { expect, test } from "@playwright/test";
import { logins } from "./fixtures";

/**
 * Security headers on pages and the API, no CSP violations on the portal's pages, and the login
 * callback that cannot leave the origin. (The console under the CSP: console.spec.ts.)
 */
test("every response carries the security headers, and pages run under the CSP without violations", async ({ page }) => {
  const violations: string[] = [];
  page.on("console", (m) => {
    if (/Content Security Policy|Refused to/i.test(m.text())) violations.push(m.text());
  });
  for (const path of ["/login", "/api/trpc/zone.list"]) {
    const res = await page.request.get(path);
    const h = res.headers();
    expect(h["content-security-policy"], path).toContain("frame-ancestors 'none'");
    expect(h["content-security-policy"], path).toContain("connect-src 'self'");
    expect(h["content-security-policy"], path).toContain("object-src 'none'");
    expect(h["x-content-type-options"], path).toBe("nosniff");
    expect(h["referrer-policy"], path).toBe("strict-origin-when-cross-origin");
    expect(h["permissions-policy"], path).toContain("camera=()");
    // Plain HTTP here: no HSTS; behind a TLS proxy (X-Forwarded-Proto: https) there is.
    expect(h["strict-transport-security"], path).toBeUndefined();
  }
  const tls = await page.request.get("/login", { headers: { "x-forwarded-proto": "https" } });
  expect(tls.headers()["strict-transport-security"]).toContain("max-age=");

  // Signing in through a callback that points elsewhere lands on the portal's own home.
  await page.goto("/login?callbackUrl=" + encodeURIComponent("/\\example.com/instances"));
  await page.getByLabel("Username").fill(logins.tenant.username);
  await page.getByLabel("Password").fill(logins.tenant.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByTestId("current-user")).toHaveText(logins.tenant.username);
  expect(new URL(page.url()).hostname).not.toBe("example.com");
  await page.goto("/instances");
  await expect(page.getByRole("heading", { level: 1 })).toBeVisible();
  expect(violations).toEqual([]);
});

test("a same-origin callback is followed after sign-in", async ({ page }) => {
  await page.goto("/login?callbackUrl=" + encodeURIComponent("/events"));
  await page.getByLabel("Username").fill(logins.tenant.username);
  await page.getByLabel("Password").fill(logins.tenant.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(/\/events$/);
});
