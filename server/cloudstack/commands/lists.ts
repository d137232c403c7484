import { z } from "zod";
import { csDate, listBody } from "../envelope";
import { cs, pagingParams } from "../params";
import { text, capitalise } from "../render";
import { accountIdOf, csPage, ownAccountUnlessListAll } from "./paging";
import { command } from "./types";

/** Lists of storage, networks, events and identity: each a call of the matching tRPC list. */

type Row = Record<string, unknown>;
const str = (v: unknown) => (typeof v === "string" ? v : undefined);

export const listCommands = [
  command({
    name: "listNetworks",
    description: "Lists guest networks",
    isasync: false,
    params: {
      ...pagingParams,
      id: cs.id("id").optional(),
      zoneid: cs.id("zoneid").optional(),
      account: z.string().optional(),
      domainid: cs.id("domainid").optional(),
      type: z.string().optional(),
    },
    async run(ctx, p) {
      const page = await csPage(p.id ? {} : p, async (page, pageSize) => {
        const r = await ctx.api.network.list({ page, pageSize, search: p.keyword });
        return { items: (r as { items: Row[] }).items, total: (r as { total: number }).total };
      });
      const items = page.items.filter((n) => (!p.id || n.id === p.id) && (!p.zoneid || n.zoneId === p.zoneid));
      const out = items.map((n) => ({
        id: n.id,
        name: n.name,
        displaytext: str(n.displayText) ?? n.name,
        state: capitalise(text(n.state)),
        type: capitalise(text(n.guestType ?? n.type ?? "isolated")),
        zoneid: n.zoneId,
        zonename: n.zoneName,
        cidr: n.cidr ?? undefined,
        gateway: n.gateway ?? undefined,
        networkofferingid: n.networkOfferingId ?? undefined,
        networkofferingname: n.offeringName ?? n.networkOfferingName ?? undefined,
        account: n.accountName ?? undefined,
        created: csDate(n.createdAt as Date),
      }));
      return listBody("network", out, p.id || p.zoneid ? items.length : page.total);
    },
  }),
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
      const out = hit.slice(start, start + size).map((d) => {
        const level = text(d.path).split("/").filter(Boolean).length - 1;
        return {
          id: d.id,
          name: d.name,
          level,
          parentdomainid: d.parentId ?? undefined,
          parentdomainname: d.parentId ? (byId.get(d.parentId)?.name as string | undefined) : undefined,
          haschild: tree.some((c) => c.parentId === d.id),
          path: d.parentId ? `ROOT${"/"}${text(d.displayPath ?? d.name)}` : "ROOT",
          state: "Active",
        };
      });
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
      const out = items.map((a) => ({
        id: a.id,
        name: a.name,
        accounttype: a.type === "root_admin" ? 1 : a.type === "domain_admin" ? 2 : 0,
        roletype: a.type === "root_admin" ? "Admin" : a.type === "domain_admin" ? "DomainAdmin" : "User",
        state: capitalise(text(a.state)),
        domainid: a.domainId,
        domain: a.domainName ?? undefined,
        created: csDate(a.createdAt),
      }));
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
      const out = items.map((u) => ({
        id: u.id,
        username: u.username,
        firstname: u.firstName ?? undefined,
        lastname: u.lastName ?? undefined,
        email: u.email ?? undefined,
        state: capitalise(text(u.state)),
        accountid: u.accountId,
        account: u.accountName,
        accounttype: u.accountType === "root_admin" ? 1 : u.accountType === "domain_admin" ? 2 : 0,
        domainid: u.domainId,
        domain: u.domainName,
        created: csDate(u.createdAt as Date),
      }));
      return listBody("user", out, p.id || p.username ? items.length : page.total);
    },
  }),
];
