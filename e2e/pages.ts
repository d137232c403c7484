import type { Page } from "@playwright/test";
import { expect } from "@playwright/test";
import { logins } from "./fixtures";

/** The portal's pages by role, for the accessibility and layout specs (ids resolved at run time). */
export const pagesOf = {
  admin: [
    "/",
    "/instances",
    "/volumes",
    "/networks",
    "/instances/new",
    "/templates",
    "/isos",
    "/events",
    "/usage",
    "/domains",
    "/accounts",
    "/accounts/:acme-dev",
    "/users",
    "/offerings/compute",
    "/offerings/disk",
    "/offerings/network",
    "/infrastructure/zones",
    "/infrastructure/pods",
    "/infrastructure/clusters",
    "/infrastructure/hosts",
    "/infrastructure/hosts/:sim-host-1",
    "/infrastructure/storage",
    "/infrastructure/templates",
    "/infrastructure/capacity",
    "/infrastructure/simulator",
    "/webhooks",
    "/settings",
  ],
  reseller: [
    "/",
    "/instances",
    "/volumes",
    "/networks",
    "/instances/new",
    "/templates",
    "/isos",
    "/events",
    "/usage",
    "/domains",
    "/accounts",
    "/accounts/:acme-dev",
    "/users",
    "/offerings/compute",
    "/offerings/disk",
    "/offerings/network",
    "/webhooks",
    "/settings",
  ],
  tenant: [
    "/",
    "/instances",
    "/instances/new",
    "/volumes",
    "/networks",
    "/templates",
    "/isos",
    "/events",
    "/usage",
    "/webhooks",
    "/settings",
  ],
} as const;
export type Role = keyof typeof pagesOf;
export const roleLogin = (role: Role) => logins[role];

/** A tRPC query with the page's session (superjson envelope). */
export async function trpcQuery<T>(page: Page, procedure: string, input: unknown): Promise<T> {
  const res = await page.request.get(`/api/trpc/${procedure}?input=${encodeURIComponent(JSON.stringify({ json: input }))}`);
  const body = (await res.json()) as { result?: { data?: { json?: T } } };
  if (!res.ok()) throw new Error(`${procedure} failed: ${JSON.stringify(body)}`);
  return body.result!.data!.json!;
}
export async function trpcMutation<T>(page: Page, procedure: string, input: unknown): Promise<T> {
  const res = await page.request.post(`/api/trpc/${procedure}`, { data: { json: input } });
  const body = (await res.json()) as { result?: { data?: { json?: T } } };
  if (!res.ok()) throw new Error(`${procedure} failed: ${JSON.stringify(body)}`);
  return body.result!.data!.json!;
}

/** "/accounts/:acme-dev" → "/accounts/<id of acme-dev>". */
export async function resolvePath(page: Page, path: string): Promise<string> {
  const m = /^(.*)\/:(.+)$/.exec(path);
  if (!m) return path;
  const [, base, name] = m;
  const router = base!.endsWith("/hosts") ? "host" : "account";
  const list = await trpcQuery<{ items: { id: string; name: string }[] }>(page, `${router}.list`, { search: name });
  const found = list.items.find((x) => x.name === name);
  if (!found) throw new Error(`${router} ${name} not found`);
  return `${base}/${found.id}`;
}

/** Opens a page and waits until it has drawn its data (no skeletons, spinners or "Loading…"). */
export async function openPage(page: Page, path: string) {
  await page.goto(path);
  await expect(page.getByRole("heading", { level: 1 })).toBeVisible();
  // Queries that start once others have answered (a domain's accounts after the domain) come too.
  // A root admin's live stream hears the whole cloud (periodic system jobs), so the network may
  // never stay quiet for long: wait a bounded time, then rely on the checks below.
  await page.waitForLoadState("networkidle", { timeout: 15_000 }).catch(() => undefined);
  await expect(page.locator(".animate-pulse")).toHaveCount(0);
  await expect(page.getByText(/^Loading/)).toHaveCount(0);
}
