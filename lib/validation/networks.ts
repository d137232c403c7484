import { z } from "zod";
import { idSchema, nameSchema, optionalText } from "./common";
import { isPrivate, parseCidr, parseIp } from "../ipv4";

/** Networks, network offerings and zone network settings. Client-safe: forms reuse these. */

const blankToUndefined = (v: unknown) => (typeof v === "string" && v.trim() === "" ? undefined : v);

export const networkGuestTypes = ["isolated", "shared", "l2"] as const;
export const networkServices = ["Dhcp", "Dns", "SourceNat", "StaticNat", "PortForwarding", "Firewall", "Lb", "UserData"] as const;
export const networkStates = ["allocated", "implemented", "shutdown", "destroying"] as const;
export type NetworkGuestType = (typeof networkGuestTypes)[number];
export type NetworkService = (typeof networkServices)[number];
export type NetworkState = (typeof networkStates)[number];

export const guestTypeLabels: Record<NetworkGuestType, string> = { isolated: "Isolated", shared: "Shared", l2: "L2" };

const networkOfferingFields = {
  name: nameSchema,
  displayText: optionalText(255, "Description"),
  guestType: z.enum(networkGuestTypes, { message: "Guest type must be isolated, shared or l2" }),
  services: z
    .array(z.enum(networkServices, { message: `Services must be among ${networkServices.join(", ")}` }))
    .max(networkServices.length)
    .default([])
    .transform((s) => [...new Set(s)]),
  egressDefault: z.enum(["allow", "deny"], { message: "Egress default must be allow or deny" }).default("allow"),
  rateLimitMbps: z
    .number({ message: "Rate limit must be a number" })
    .int({ message: "Rate limit must be a whole number of Mbit/s" })
    .min(1, { message: "Rate limit must be at least 1 Mbit/s" })
    .max(100_000, { message: "Rate limit must be at most 100000 Mbit/s" })
    .nullable()
    .default(null),
};

/** L2 networks have no router: no IP services. */
function checkServices(v: { guestType: NetworkGuestType; services: NetworkService[] }, ctx: z.RefinementCtx) {
  if (v.guestType === "l2" && v.services.length > 0)
    ctx.addIssue({ code: "custom", path: ["services"], message: "Services must be empty for an L2 offering (L2 networks have no router)" });
}

export const createNetworkOfferingInput = z
  .object({ ...networkOfferingFields, domainId: idSchema.nullable().default(null) })
  .superRefine(checkServices);
export const updateNetworkOfferingInput = z.object({ id: idSchema, ...networkOfferingFields }).superRefine(checkServices);
export type CreateNetworkOfferingInput = z.infer<typeof createNetworkOfferingInput>;
export type UpdateNetworkOfferingInput = z.infer<typeof updateNetworkOfferingInput>;

/** An IPv4 CIDR for a guest network: an RFC 1918 range, prefix /16 to /29, no host bits. */
export const guestCidrSchema = (label = "CIDR") =>
  z
    .string({ message: `${label} is required` })
    .trim()
    .superRefine((v, ctx) => {
      const c = parseCidr(v);
      if (!c) return void ctx.addIssue({ code: "custom", message: `${label} must be an IPv4 network like 10.1.1.0/24 (no host bits set)` });
      if (c.prefix < 16 || c.prefix > 29) ctx.addIssue({ code: "custom", message: `${label} prefix must be between /16 and /29` });
      else if (!isPrivate(c))
        ctx.addIssue({ code: "custom", message: `${label} must be a private range (10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16)` });
    });

export const ipSchema = (label = "IP address") =>
  z
    .string({ message: `${label} is required` })
    .trim()
    .refine((v) => parseIp(v) !== null, { message: `${label} must be an IPv4 address like 10.1.1.10` });

const dnsDomainSchema = z
  .string()
  .trim()
  .max(253, { message: "DNS domain must be at most 253 characters" })
  .regex(/^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i, {
    message: "DNS domain must be a domain name like cs1cloud.internal",
  });

export const createNetworkInput = z.object({
  name: nameSchema,
  zoneId: idSchema,
  networkOfferingId: idSchema,
  /** Omitted (or empty in a form): the zone's default guest CIDR. */
  cidr: z.preprocess(blankToUndefined, guestCidrSchema().optional()),
  dnsDomain: z.preprocess(blankToUndefined, dnsDomainSchema.optional()),
  /** Admins and resellers: the account (in their scope) the network is for; omitted: the caller's own. */
  accountId: idSchema.optional(),
});
export type CreateNetworkInput = z.infer<typeof createNetworkInput>;

export const networkIdInput = z.object({ id: idSchema });
export const networkListFilters = { zoneId: idSchema.optional(), state: z.enum(networkStates).optional() };

/** A NIC asked for with a deploy or added to a VM: a network and, optionally, the address. */
export const nicRequestSchema = z.object({
  networkId: idSchema,
  ip: ipSchema().optional(),
  /** Shared networks: the NIC's security groups (omitted: the account's default group). */
  securityGroupIds: z.array(idSchema).max(10, { message: "At most 10 security groups per NIC" }).optional(),
});
export type NicRequest = z.infer<typeof nicRequestSchema>;

export const addNicInput = z.object({
  instanceId: idSchema,
  networkId: idSchema,
  /** Empty: the next free address. */
  ip: z.preprocess(blankToUndefined, ipSchema().optional()),
});
export const removeNicInput = z.object({ instanceId: idSchema, nicId: idSchema });
export const updateNicIpInput = z.object({ instanceId: idSchema, nicId: idSchema, ip: ipSchema() });
export const previewAddressesInput = z.object({ networks: z.array(nicRequestSchema).max(8) });

const vlanId = (label: string) =>
  z
    .number({ message: `${label} must be a number` })
    .int({ message: `${label} must be a whole number` })
    .min(1, { message: `${label} must be at least 1` })
    .max(4094, { message: `${label} must be at most 4094` });

const trafficLabel = (label: string) =>
  z
    .string()
    .trim()
    .regex(/^([a-zA-Z0-9_.-]{1,15})?$/, { message: `${label} must be an interface name (1-15 letters, digits, '.', '_' or '-')` })
    .transform((v) => (v === "" ? null : v))
    .nullable()
    .default(null);

export const updateZoneNetworkInput = z.object({
  zoneId: idSchema,
  guestCidr: guestCidrSchema("Default guest CIDR"),
  publicBridge: trafficLabel("Public bridge"),
  guestUplink: trafficLabel("Guest uplink"),
});
export const addVlanRangeInput = z
  .object({ zoneId: idSchema, startId: vlanId("First VLAN"), endId: vlanId("Last VLAN") })
  .refine((v) => v.startId <= v.endId, { path: ["endId"], message: "Last VLAN must be at least the first VLAN" });
export const removeVlanRangeInput = z.object({ id: idSchema });
export const zoneIdInput = z.object({ zoneId: idSchema });

export const addPublicIpRangeInput = z
  .object({
    zoneId: idSchema,
    gateway: ipSchema("Gateway"),
    prefixLength: z
      .number({ message: "Prefix length must be a number" })
      .int({ message: "Prefix length must be a whole number" })
      .min(8, { message: "Prefix length must be at least 8" })
      .max(30, { message: "Prefix length must be at most 30" }),
    vlan: vlanId("VLAN").nullable().default(null),
    startIp: ipSchema("First address"),
    endIp: ipSchema("Last address"),
    /** Dedicated to this domain's subtree; null: every domain. */
    domainId: idSchema.nullable().default(null),
  })
  .superRefine((v, ctx) => {
    const [g, a, b] = [parseIp(v.gateway), parseIp(v.startIp), parseIp(v.endIp)];
    if (g === null || a === null || b === null) return;
    if (a > b) ctx.addIssue({ code: "custom", path: ["endIp"], message: "Last address must not be below the first address" });
    const size = 2 ** (32 - v.prefixLength);
    const net = g - (g % size);
    for (const [k, x, label] of [
      ["startIp", a, "First address"],
      ["endIp", b, "Last address"],
    ] as const)
      if (x < net || x >= net + size) ctx.addIssue({ code: "custom", path: [k], message: `${label} must be in the gateway's network` });
    if (g >= a && g <= b) ctx.addIssue({ code: "custom", path: ["gateway"], message: "Gateway must not be inside the range" });
  });
export const publicIpRangeIdInput = z.object({ id: idSchema });
export const acquirePublicIpInput = z.object({ networkId: idSchema });
export const publicIpIdInput = z.object({ id: idSchema });
