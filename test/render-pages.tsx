import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { createTRPCClient, unstable_localLink } from "@trpc/client";
import type { ReactNode } from "react";
import { renderToString } from "react-dom/server";
import superjson from "superjson";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CallerProvider } from "@/components/shell/caller-context";
import type { DbHandle } from "@/db";
import { TRPCProvider } from "@/lib/trpc/client";
import { appRouter, type AppRouter } from "@/server/api/root";
import type { Caller } from "@/server/authz/caller";
import { permissionsOf } from "@/server/authz/permissions";
import { openTestDb } from "@/test/db";
import { seedTenancy } from "@/test/fixtures";

/** A page to render, and the texts its second render (with the data fetched) must contain. */
export type PageCase = [name: string, page: () => ReactNode, expected: string[]];

/**
 * Admin pages rendered on the server against the real API (no browser, no Next.js build): a first
 * render registers the queries each page makes, they are fetched through the real router, and a
 * second render must show the seeded objects. Catches pages that crash on real data, ask for
 * inputs the API refuses, or lose their headings, actions and filters.
 */
export function describePages(title: string, pages: PageCase[]) {
  describe(title, () => {
    let h: DbHandle;
    let admin: Caller;
    beforeAll(async () => {
      h = await openTestDb();
      admin = (await seedTenancy(h.db)).callers.admin;
    });
    afterAll(() => h.close());

    async function renderWithData(page: ReactNode) {
      const queryClient = new QueryClient({ defaultOptions: { queries: { retry: false } } });
      const trpcClient = createTRPCClient<AppRouter>({
        links: [
          unstable_localLink({
            router: appRouter,
            createContext: () => Promise.resolve({ db: h.db, caller: admin }),
            transformer: superjson,
          }),
        ],
      });
      const tree = (
        <CallerProvider caller={{ ...admin, permissions: permissionsOf(admin.accountType) }}>
          <QueryClientProvider client={queryClient}>
            <TRPCProvider trpcClient={trpcClient} queryClient={queryClient}>
              {page}
            </TRPCProvider>
          </QueryClientProvider>
        </CallerProvider>
      );
      renderToString(tree);
      const queries = queryClient.getQueryCache().getAll();
      expect(queries.length).toBeGreaterThan(0);
      await Promise.all(queries.map((q) => q.fetch().catch(() => undefined)));
      for (const q of queries) expect(q.state.error, JSON.stringify(q.queryKey)).toBeNull();
      // React separates adjacent text with <!-- -->; drop it so assertions read like the page.
      return renderToString(tree).replaceAll("<!-- -->", "");
    }

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
}
