import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { createTRPCClient, unstable_localLink } from "@trpc/client";
import { createElement as h, type ReactNode } from "react";
import { renderToString } from "react-dom/server";
import superjson from "superjson";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Clusters } from "@/app/(portal)/infrastructure/clusters/clusters";
import { Hosts } from "@/app/(portal)/infrastructure/hosts/hosts";
import { Pods } from "@/app/(portal)/infrastructure/pods/pods";
import { Storage } from "@/app/(portal)/infrastructure/storage/storage";
import { Templates } from "@/app/(portal)/infrastructure/templates/templates";
import { Zones } from "@/app/(portal)/infrastructure/zones/zones";
import { ComputeOfferings } from "@/app/(portal)/offerings/compute/compute-offerings";
import { DiskOfferings } from "@/app/(portal)/offerings/disk/disk-offerings";
import { CallerProvider } from "@/components/shell/caller-context";
import type { Db } from "@/db";
import { TRPCProvider } from "@/lib/trpc/client";
import { appRouter, type AppRouter } from "@/server/api/root";
import { permissionsOf } from "@/server/authz/permissions";
import type { Caller } from "@/server/authz/caller";
import { openTestDb } from "@/test/db";
import { seedTenancy } from "@/test/fixtures";

/**
 * The infrastructure pages rendered on the server against the real API (no browser, no Next.js
 * build): a first render registers the queries each page makes, they are fetched through the real
 * router, and a second render must show the seeded objects. Catches pages that crash on real data,
 * ask for inputs the API refuses, or lose their headings, actions and filters.
 */
let db: Db;
let close: () => Promise<void>;
let admin: Caller;

beforeAll(async () => {
  const handle = await openTestDb();
  db = handle.db;
  close = handle.close;
  admin = (await seedTenancy(db)).callers.admin;
});
afterAll(() => close());

async function renderWithData(page: ReactNode) {
  const queryClient = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  const trpcClient = createTRPCClient<AppRouter>({
    links: [unstable_localLink({ router: appRouter, createContext: () => Promise.resolve({ db, caller: admin }), transformer: superjson })],
  });
  const tree = h(CallerProvider, {
    caller: { ...admin, permissions: permissionsOf(admin.accountType) },
    children: h(QueryClientProvider, { client: queryClient, children: h(TRPCProvider, { trpcClient, queryClient, children: page }) }),
  });
  renderToString(tree);
  const queries = queryClient.getQueryCache().getAll();
  expect(queries.length).toBeGreaterThan(0);
  await Promise.all(queries.map((q) => q.fetch().catch(() => undefined)));
  for (const q of queries) expect(q.state.error, JSON.stringify(q.queryKey)).toBeNull();
  // React separates adjacent text with <!-- -->; drop it so assertions read like the page.
  return renderToString(tree).replaceAll("<!-- -->", "");
}

describe("infrastructure pages", () => {
  const pages: [string, () => ReactNode, string[]][] = [
    ["zones", () => h(Zones), ["Zones", "Capacity by zone", "Zone 1", "614.4 GHz", "Add zone", "Actions for zone Zone 1"]],
    ["pods", () => h(Pods, { initialFilter: {} }), ["Pod 1", "Zone 1", "Add pod", 'aria-label="Filter by zone"']],
    ["clusters", () => h(Clusters, { initialFilter: {} }), ["Cluster 1", "CPU × 2", "Add cluster", "Actions for cluster Cluster 1"]],
    [
      "hosts",
      () => h(Hosts, { initialFilter: {} }),
      ["sim-host-4", "sim://host-1", "gpu", "Actions for host sim-host-1", 'href="/infrastructure/hosts/', "153.6 GHz"],
    ],
    [
      "storage",
      () => h(Storage, { initialFilter: {} }),
      ["primary-1", "secondary-1", "Add primary storage", "Add secondary storage", "10 TiB"],
    ],
    ["templates", () => h(Templates), ["Tiny Linux", "Register template", "Actions for template Tiny Linux"]],
    ["compute offerings", () => h(ComputeOfferings), ["Small", "Add offering", "Actions for compute offering Small"]],
    ["disk offerings", () => h(DiskOfferings), ["Small disk", "Custom, 1–1024 GiB", "Actions for disk offering Small disk"]],
  ];
  for (const [name, page, expected] of pages) {
    it(`${name} renders the seeded cloud`, async () => {
      const html = await renderWithData(page());
      expect(html).toContain('aria-label="Breadcrumb"');
      for (const text of expected) expect(html, text).toContain(text);
      // Nothing restarts VMs on another host yet: no page offers high availability.
      expect(html).not.toMatch(/Highly available|>HA</);
    });
  }
});
