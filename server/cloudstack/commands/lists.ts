import { z } from "zod";
import { csDate, listBody } from "../envelope";
import { cs, pagingParams } from "../params";
import { text } from "../render";
import { accountObject, domainObject, userObject } from "../render-admin";
import { domainDisplayPaths } from "@/server/services/domains";
import { accountIdOf, csPage, ownAccountUnlessListAll } from "./paging";
import { command } from "./types";

/** Lists of storage, networks, events and identity: each a call of the matching tRPC list. */

type Row = Record<string, unknown>;

export const listCommands = [
  command({
    name: "listEvents",
    description: "Lists events",
    isasync: false,
    params: {
      ...pagingParams,
      type: z.string().max(64).optional(),
      level: z.enum(["INFO", "WARN", "ERROR", "info", "warn", "error"]).optional(),
      account: z.string().optional(),
      domainid: cs.id("domainid").optional(),
      startdate: z.string().optional(),
      enddate: z.string().optional(),
    },
    async run(ctx, p) {
      const accountId = (await accountIdOf(ctx, p.account, p.domainid)) ?? ownAccountUnlessListAll(ctx, p);
      const page = await csPage(p, async (page, pageSize) => {
        const r = await ctx.api.event.list({
          page,
          pageSize,
          type: p.type,
          level: p.level?.toLowerCase() as never,
          accountId,
          domainId: p.domainid,
          search: p.keyword,
          from: p.startdate ? new Date(p.startdate) : undefined,
          to: p.enddate ? new Date(p.enddate) : undefined,
        });
        return { items: (r as { items: Row[] }).items, total: (r as { total: number }).total };
      });
      const out = page.items.map((e) => ({
        id: e.id,
        type: e.type,
        level: text(e.level).toUpperCase(),
        description: e.description,
        account: e.accountName ?? undefined,
        domainid: e.domainId ?? undefined,
        resourceid: e.resourceId ?? undefined,
        resourcetype: e.resourceType ?? undefined,
        state: "Completed",
        created: csDate(e.createdAt as Date),
      }));
      return listBody("event", out, page.total);
    },
  }),
  command({
    name: "listDomains",
    description: "Lists domains (admins and resellers)",
    isasync: false,
    params: {
      ...pagingParams,
      id: cs.id("id").optional(),
      name: z.string().optional(),
      level: cs.int("level").optional(),
      details: z.string().optional(),
    },
    async run(ctx, p) {
      const tree = (await ctx.api.domain.tree()) as unknown as Row[];
      const byId = new Map(tree.map((d) => [d.id, d]));
      const hit = tree.filter((d) => (!p.id || d.id === p.id) && (!p.name || d.name === p.name));
      const size = p.pagesize ?? hit.length;
      const start = ((p.page ?? 1) - 1) * size;
      const shown = hit.slice(start, start + size);
      const paths = await domainDisplayPaths(
        ctx.db,
        shown.map((d) => text(d.path)),
      );
      const out = shown.map((d) =>
        domainObject(d, {
          parentName: d.parentId ? (byId.get(d.parentId)?.name as string | undefined) : undefined,
          path: paths.get(text(d.path)) ?? text(d.name),
          hasChild: tree.some((c) => c.parentId === d.id),
        }),
      );
      return listBody("domain", out, hit.length);
    },
  }),
  command({
    name: "listAccounts",
    description: "Lists accounts (admins and resellers)",
    isasync: false,
    params: { ...pagingParams, id: cs.id("id").optional(), name: z.string().optional(), domainid: cs.id("domainid").optional() },
    async run(ctx, p) {
      const page = await csPage(p.id || p.name ? {} : p, async (page, pageSize) => {
        const r = await ctx.api.account.list({
          page,
          pageSize,
          domainId: p.domainid,
          includeSubdomains: p.isrecursive ?? true,
          search: p.name ?? p.keyword,
        });
        return { items: r.items, total: r.total };
      });
      const items = page.items.filter((a) => (!p.id || a.id === p.id) && (!p.name || a.name === p.name));
      const out = items.map((a) => accountObject(a));
      return listBody("account", out, p.id || p.name ? items.length : page.total);
    },
  }),
  command({
    name: "listUsers",
    description: "Lists users (admins and resellers)",
    isasync: false,
    params: {
      ...pagingParams,
      id: cs.id("id").optional(),
      username: z.string().optional(),
      account: z.string().optional(),
      domainid: cs.id("domainid").optional(),
    },
    async run(ctx, p) {
      const accountId = await accountIdOf(ctx, p.account, p.domainid);
      const page = await csPage(p.id || p.username ? {} : p, async (page, pageSize) => {
        const r = await ctx.api.user.list({ page, pageSize, accountId, search: p.username ?? p.keyword });
        return { items: (r as { items: Row[] }).items, total: (r as { total: number }).total };
      });
      const items = page.items.filter((u) => (!p.id || u.id === p.id) && (!p.username || u.username === p.username));
      const out = items.map(userObject);
      return listBody("user", out, p.id || p.username ? items.length : page.total);
    },
  }),
];
