import { z } from "zod";
import { idSchema, nameSchema } from "./common";
import { formatIp, parseCidr, parseIp } from "../ipv4";

/** Shared networks (root admin): client-safe, the admin form reuses it. */

const blankToUndefined = (v: unknown) => (typeof v === "string" && v.trim() === "" ? undefined : v);
const ip = (label: string) =>
  z
    .string({ message: `${label} is required` })
    .trim()
    .refine((v) => parseIp(v) !== null, { message: `${label} must be an IPv4 address like 203.0.113.10` });

export const createSharedNetworkInput = z
  .object({
    name: nameSchema,
    zoneId: idSchema,
    networkOfferingId: idSchema,
    /** Omitted: the next free VLAN of the zone's ranges (null there: untagged). */
    vlan: z.preprocess(
      (v) => (v === "" || v === null ? undefined : v),
      z
        .number({ message: "VLAN must be a number" })
        .int({ message: "VLAN must be a whole number" })
        .min(1, { message: "VLAN must be between 1 and 4094" })
        .max(4094, { message: "VLAN must be between 1 and 4094" })
        .optional(),
    ),
    cidr: z
      .string({ message: "CIDR is required" })
      .trim()
      .refine((v) => parseCidr(v) !== null, { message: "CIDR must be an IPv4 network like 203.0.113.0/24 (no host bits set)" })
      .refine((v) => (parseCidr(v)?.prefix ?? 0) <= 29, { message: "CIDR must hold at least 8 addresses (/29 or larger)" }),
    /** The network's router, outside Stratus. */
    gateway: ip("Gateway"),
    ipRangeStart: ip("First guest address"),
    ipRangeEnd: ip("Last guest address"),
    /** Stratus's DHCP/DNS address on the network (outside the guest range); omitted: the CIDR's last usable address. */
    routerIp: z.preprocess(blankToUndefined, ip("DHCP server address").optional()),
    dnsDomain: z.preprocess(
      blankToUndefined,
      z
        .string()
        .trim()
        .regex(/^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i, {
          message: "DNS domain must be a domain name like shared.internal",
        })
        .optional(),
    ),
    /** The domain whose subtree may use it; null: every account. */
    domainId: idSchema.nullable().default(null),
  })
  .superRefine((v, ctx) => {
    const c = parseCidr(v.cidr);
    if (!c) return;
    const inside = (x: number) => x > c.network && x < c.broadcast;
    const [g, a, b] = [parseIp(v.gateway), parseIp(v.ipRangeStart), parseIp(v.ipRangeEnd)];
    if (g !== null && !inside(g))
      ctx.addIssue({ code: "custom", path: ["gateway"], message: `Gateway must be a host address of ${v.cidr}` });
    if (a !== null && !inside(a))
      ctx.addIssue({ code: "custom", path: ["ipRangeStart"], message: `First guest address must be a host address of ${v.cidr}` });
    if (b !== null && !inside(b))
      ctx.addIssue({ code: "custom", path: ["ipRangeEnd"], message: `Last guest address must be a host address of ${v.cidr}` });
    if (a === null || b === null) return;
    if (a > b) ctx.addIssue({ code: "custom", path: ["ipRangeEnd"], message: "Last guest address must not be below the first" });
    if (g !== null && g >= a && g <= b)
      ctx.addIssue({
        code: "custom",
        path: ["gateway"],
        message: "Gateway must be outside the guest range (guests would be given its address)",
      });
    const r = v.routerIp === undefined ? c.broadcast - 1 : parseIp(v.routerIp);
    if (r === null) return;
    const label =
      v.routerIp === undefined ? `The CIDR's last address ${formatIp(r)} (the default DHCP server address)` : "DHCP server address";
    if (!inside(r))
      ctx.addIssue({ code: "custom", path: ["routerIp"], message: `DHCP server address must be a host address of ${v.cidr}` });
    else if (r >= a && r <= b) ctx.addIssue({ code: "custom", path: ["routerIp"], message: `${label} must be outside the guest range` });
    else if (r === g) ctx.addIssue({ code: "custom", path: ["routerIp"], message: `${label} must not be the gateway` });
  });
export type CreateSharedNetworkInput = z.infer<typeof createSharedNetworkInput>;
