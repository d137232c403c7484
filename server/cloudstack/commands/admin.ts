import { inArray } from "drizzle-orm";
import { z } from "zod";
import { domains } from "@/db/schema";
import { type Permission, can } from "@/server/authz/permissions";
import { domainDisplayPaths } from "@/server/services/domains";
import { listBody } from "../envelope";
import { CsError } from "../errors";
import { cs, pagingParams } from "../params";
import {
  accountObject,
  CAPACITY_TYPES,
  csHostState,
  csHypervisor,
  domainObject,
  hostObject,
  usageRecordObject,
  userObject,
  zoneCapacities,
} from "../render-admin";
import { jobObject } from "./jobs";
import { accountIdOf, csPage, ownAccountUnlessListAll } from "./paging";
import { command, type CsContext } from "./types";

/**
 * Administration commands: domains, accounts, users and their keys, hosts, capacity, async jobs
 * and usage records, each a call of the portal's tRPC procedures (same scope rules: a reseller
 * acts in its subtree; another tenant's object is "not found").
 */

type Row = Record<string, unknown>;

/** A command the caller's role lacks is, as in CloudStack, one that does not exist for it (432). */
function requireRole(ctx: CsContext, command: string, permission: Permission) {
  if (!can(ctx.caller.accountType, permission))
    throw new CsError(432, `The given command ${command} does not exist or it is not available for the user`);
}

/** CloudStack's dates: yyyy-MM-dd, yyyy-MM-dd HH:mm:ss (UTC), or ISO 8601 with a zone. */
const csDateParam = (label: string) =>
  z
    .string({ error: `${label} is required` })
    .regex(/^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2})?(\.\d+)?(Z|[+-]\d{2}:?\d{2})?)?$/, {
      message: `${label} must be a date: yyyy-MM-dd or yyyy-MM-dd HH:mm:ss`,
    })
    .transform((v) => {
      const dayOnly = v.length === 10;
      const iso = v.replace(" ", "T");
      const zoned = /(Z|[+-]\d{2}:?\d{2})$/.test(iso.slice(10));
      return { date: new Date(dayOnly ? `${iso}T00:00:00Z` : zoned ? iso : `${iso}Z`), dayOnly };
    })
    .refine((d) => !Number.isNaN(d.date.getTime()), { message: `${label} is not a valid date` });

/** An account by CloudStack's (account, domainid) pair: the account of that name in that very domain. */
async function accountInDomain(ctx: CsContext, name: string, domainId: string): Promise<Row> {
  const r = await ctx.api.account.list({ domainId, includeSubdomains: false, search: name, pageSize: 200 });
  const hit = (r.items as Row[]).find((a) => a.name === name);
  if (!hit) throw new CsError(431, `Account ${name} not found in the domain`);
  return hit;
}

/** Users of an account (user.list), as UserResponse objects' input rows. */
async function usersOf(ctx: CsContext, accountId: string): Promise<Row[]> {
  return (await ctx.api.user.list({ accountId, pageSize: 200 })).items;
}

/** A host list page with filters Stratus's host.list does not take (status, exact name) applied here. */
const hostStateParam = z
  .string()
  .regex(/^(up|down|disconnected|alert|connecting|error|maintenance|removed)$/i, {
    message: "state must be Up, Down or Disconnected",
  })
  .optional();

const ACCOUNT_TYPES = { "0": "user", "1": "root_admin", "2": "domain_admin" } as const;
const ROLE_TYPES = { user: "user", domainadmin: "domain_admin", admin: "root_admin" } as const;

export const adminCommands = [
  command({
    name: "createDomain",
    description: "Creates a domain (a sub-domain of the caller's domain or of one in its subtree)",
    isasync: false,
    params: { name: cs.string("name"), parentdomainid: cs.id("parentdomainid").optional() },
    async run(ctx, p) {
      requireRole(ctx, "createDomain", "domain.manage");
      const d = await ctx.api.domain.create({ parentId: p.parentdomainid ?? ctx.caller.domainId, name: p.name });
      const path = (await domainDisplayPaths(ctx.db, [d.path])).get(d.path) ?? d.name;
      const names = path.split("/");
      return { domain: domainObject(d, { parentName: names[names.length - 2], path, hasChild: false }) };
    },
  }),
  command({
    name: "createAccount",
    description: "Creates an account with its first user (a user or a domain admin account)",
    isasync: false,
    params: {
      username: cs.string("username"),
      password: cs.string("password"),
      email: z.string().optional(),
      firstname: z.string().optional(),
      lastname: z.string().optional(),
      accounttype: z.enum(["0", "1", "2"], { error: "accounttype must be 0 (user), 1 (root admin) or 2 (domain admin)" }).optional(),
      roletype: z
        .string()
        .regex(/^(user|domainadmin|admin)$/i, { message: "roletype must be User, DomainAdmin or Admin" })
        .optional(),
      account: z.string().optional(),
      domainid: cs.id("domainid").optional(),
    },
    async run(ctx, p) {
      requireRole(ctx, "createAccount", "account.manage");
      const byNumber = p.accounttype ? ACCOUNT_TYPES[p.accounttype] : undefined;
      const byRole = p.roletype ? ROLE_TYPES[p.roletype.toLowerCase() as keyof typeof ROLE_TYPES] : undefined;
      if (byNumber && byRole && byNumber !== byRole) throw new CsError(431, "accounttype and roletype disagree");
      const r = await ctx.api.account.create({
        domainId: p.domainid ?? ctx.caller.domainId,
        // CloudStack names the account after its user when no name is given.
        name: p.account ?? p.username,
        type: byNumber ?? byRole ?? "user",
        username: p.username,
        password: p.password,
        email: p.email,
        firstName: p.firstname,
        lastName: p.lastname,
      });
      const domain = await ctx.api.domain.get({ id: r.account.domainId });
      return { account: accountObject({ ...r.account, domainName: domain.name }, await usersOf(ctx, r.account.id)) };
    },
  }),
  command({
    name: "createUser",
    description: "Creates a user in an account",
    isasync: false,
    params: {
      username: cs.string("username"),
      password: cs.string("password"),
      email: z.string().optional(),
      firstname: z.string().optional(),
      lastname: z.string().optional(),
      account: cs.string("account"),
      domainid: cs.id("domainid").optional(),
    },
    async run(ctx, p) {
      requireRole(ctx, "createUser", "user.manage");
      const account = await accountInDomain(ctx, p.account, p.domainid ?? ctx.caller.domainId);
      const u = await ctx.api.user.create({
        accountId: account.id as string,
        username: p.username,
        password: p.password,
        email: p.email,
        firstName: p.firstname,
        lastName: p.lastname,
      });
      const row = (await usersOf(ctx, account.id as string)).find((x) => x.id === u.id);
      return { user: userObject(row ?? { id: u.id, username: u.username }) };
    },
  }),
  command({
    name: "registerUserKeys",
    description: "Generates a new API key pair for a user (oneself, or a user in an admin's scope)",
    isasync: false,
    params: { id: cs.id("id") },
    async run(ctx, p) {
      const k = await ctx.api.apiKey.createForUser({ userId: p.id, name: "registerUserKeys" });
      return { userkeys: { apikey: k.apiKey, secretkey: k.secretKey } };
    },
  }),
  command({
    name: "listHosts",
    description: "Lists hosts (root admin)",
    isasync: false,
    params: {
      ...pagingParams,
      id: cs.id("id").optional(),
      name: z.string().optional(),
      zoneid: cs.id("zoneid").optional(),
      podid: cs.id("podid").optional(),
      clusterid: cs.id("clusterid").optional(),
      state: hostStateParam,
      resourcestate: z
        .string()
        .regex(/^(enabled|disabled|maintenance)$/i, { message: "resourcestate must be Enabled, Disabled or Maintenance" })
        .optional(),
      type: z.string().optional(),
      hypervisor: z.string().optional(),
    },
    async run(ctx, p) {
      requireRole(ctx, "listHosts", "infra.read");
      // Only hypervisor hosts ("Routing") exist in Stratus: no storage or console-proxy hosts.
      if (p.type && p.type.toLowerCase() !== "routing") return {};
      if (p.id) {
        const h = hostObject(await ctx.api.host.get({ id: p.id }));
        const match = (!p.name || h.name === p.name) && (!p.state || h.state.toLowerCase() === p.state.toLowerCase());
        return match ? listBody("host", [h], 1) : {};
      }
      const inMemory = Boolean(p.name || p.state || p.hypervisor);
      const page = await csPage(inMemory ? {} : p, async (page, pageSize) => {
        const r = await ctx.api.host.list({
          page,
          pageSize,
          zoneId: p.zoneid,
          podId: p.podid,
          clusterId: p.clusterid,
          state: p.resourcestate?.toLowerCase() as "enabled" | "disabled" | "maintenance" | undefined,
          search: p.name ?? p.keyword,
        });
        return { items: r.items, total: r.total };
      });
      const hits = page.items.filter(
        (h) =>
          (!p.name || h.name === p.name) &&
          (!p.state || csHostState(String(h.status)).toLowerCase() === p.state.toLowerCase()) &&
          (!p.hypervisor || csHypervisor(h.hypervisorType).toLowerCase() === p.hypervisor.toLowerCase()),
      );
      if (!inMemory) return listBody("host", hits.map(hostObject), page.total);
      const size = p.pagesize ?? hits.length;
      const start = ((p.page ?? 1) - 1) * size;
      return listBody("host", hits.slice(start, start + size).map(hostObject), hits.length);
    },
  }),
  command({
    name: "listCapacity",
    description: "Lists the capacity of each zone (root admin): memory, CPU, primary and secondary storage, public IPs, VLANs",
    isasync: false,
    params: {
      ...pagingParams,
      zoneid: cs.id("zoneid").optional(),
      type: cs.int("type", 0, 99).optional(),
      sortby: z
        .string()
        .regex(/^usage$/i, { message: "sortby must be Usage" })
        .optional(),
      fetchlatest: cs.bool("fetchlatest").optional(),
    },
    async run(ctx, p) {
      requireRole(ctx, "listCapacity", "infra.read");
      if (p.type !== undefined && !(p.type in CAPACITY_TYPES)) throw new CsError(431, `type: unknown capacity type ${p.type}`);
      // Stratus's figures are always current (fetchlatest changes nothing).
      const zones = await ctx.api.zone.capacity({ zoneId: p.zoneid });
      let all = zones.flatMap(zoneCapacities).filter((c) => p.type === undefined || c.type === p.type);
      if (p.sortby) all = all.sort((a, b) => Number(b.percentused) - Number(a.percentused));
      const size = p.pagesize ?? all.length;
      const start = ((p.page ?? 1) - 1) * size;
      return listBody("capacity", all.slice(start, start + size), all.length);
    },
  }),
  command({
    name: "listAsyncJobs",
    description: "Lists the caller's asynchronous jobs (admins and resellers: their scope's with listall)",
    isasync: false,
    params: {
      ...pagingParams,
      startdate: csDateParam("startdate").optional(),
      account: z.string().optional(),
      domainid: cs.id("domainid").optional(),
    },
    async run(ctx, p) {
      const accountId = (await accountIdOf(ctx, p.account, p.domainid)) ?? ownAccountUnlessListAll(ctx, p);
      const page = await csPage(p, async (page, pageSize) => {
        const r = await ctx.api.job.list({
          page,
          pageSize,
          from: p.startdate?.date,
          accountId,
          domainId: p.domainid,
          search: p.keyword,
        });
        return { items: r.items, total: r.total };
      });
      return listBody(
        "asyncjobs",
        page.items.map((j) => jobObject(ctx, j)),
        page.total,
      );
    },
  }),
  command({
    name: "listUsageRecords",
    description: "Lists usage records for accounts (a tenant: its own account's)",
    isasync: false,
    params: {
      ...pagingParams,
      startdate: csDateParam("startdate"),
      enddate: csDateParam("enddate"),
      type: cs.int("type", 1, 1000).optional(),
      account: z.string().optional(),
      accountid: cs.id("accountid").optional(),
      domainid: cs.id("domainid").optional(),
      usageid: cs.id("usageid").optional(),
    },
    async run(ctx, p) {
      // A day alone as enddate covers that whole day (as CloudStack reads it).
      const to = new Date(p.enddate.date.getTime() + (p.enddate.dayOnly ? 86_400_000 : 0));
      if (to <= p.startdate.date) throw new CsError(431, "enddate must not be before startdate");
      const accountId = p.accountid ?? (await accountIdOf(ctx, p.account, p.domainid));
      const page = await csPage(p, async (page, pageSize) => {
        const r = await ctx.api.usage.records({
          page,
          pageSize,
          from: p.startdate.date,
          to,
          usageType: p.type,
          accountId,
          domainId: p.domainid,
          resourceId: p.usageid,
          search: p.keyword,
        });
        return { items: r.items, total: r.total };
      });
      const ids = [...new Set(page.items.map((r) => String(r.domainId)))];
      const names = new Map(
        ids.length
          ? (await ctx.db.select({ id: domains.id, name: domains.name }).from(domains).where(inArray(domains.id, ids))).map((d) => [
              d.id,
              d.name,
            ])
          : [],
      );
      return listBody(
        "usagerecord",
        page.items.map((r) => usageRecordObject(r, names.get(String(r.domainId)))),
        page.total,
      );
    },
  }),
];
