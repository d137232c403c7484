import { z } from "zod";
import { idSchema, nameSchema } from "./common";
import { parseCidr } from "../ipv4";
import { ipSchema } from "./networks";

/** Network rules (CloudStack's firewall, port forwarding, static NAT, egress, load balancing). Client-safe. */

export const networkRuleKinds = ["static_nat", "port_forward", "firewall", "egress", "load_balancer"] as const;
export type NetworkRuleKind = (typeof networkRuleKinds)[number];
export const ruleProtocols = ["tcp", "udp", "icmp", "all"] as const;
export const lbAlgorithms = ["roundrobin", "leastconn", "source"] as const;

/** The offering service each kind needs (egress rules are part of the Firewall service, as in CloudStack). */
export const serviceOfKind = {
  static_nat: "StaticNat",
  port_forward: "PortForwarding",
  firewall: "Firewall",
  egress: "Firewall",
  load_balancer: "Lb",
} as const satisfies Record<NetworkRuleKind, string>;

export const ruleKindLabels: Record<NetworkRuleKind, string> = {
  static_nat: "Static NAT",
  port_forward: "Port forwarding",
  firewall: "Firewall",
  egress: "Egress",
  load_balancer: "Load balancing",
};

export const portSchema = (label: string) =>
  z
    .number({ message: `${label} must be a number` })
    .int({ message: `${label} must be a whole number` })
    .min(1, { message: `${label} must be between 1 and 65535` })
    .max(65535, { message: `${label} must be between 1 and 65535` });

/** Any IPv4 network (0.0.0.0/0 allowed), without host bits. */
export const anyCidrSchema = (label: string) =>
  z
    .string()
    .trim()
    .refine((v) => parseCidr(v) !== null, {
      message: `${label} must be IPv4 networks like 203.0.113.0/24 (prefix 0-32, no host bits set)`,
    });

const cidrList = (label: string) =>
  z
    .array(anyCidrSchema(label), { message: `${label} must be a list` })
    .max(32, { message: `${label}: at most 32` })
    .default(["0.0.0.0/0"])
    .transform((l) => (l.length === 0 ? ["0.0.0.0/0"] : [...new Set(l)]));

/** Port rules: tcp/udp need a port range, icmp/all take none. */
function portsForProtocol(v: { protocol: string; startPort?: number | null; endPort?: number | null }, ctx: z.RefinementCtx) {
  const hasPorts = v.startPort != null || v.endPort != null;
  if ((v.protocol === "icmp" || v.protocol === "all") && hasPorts)
    ctx.addIssue({ code: "custom", path: ["startPort"], message: `Ports must be empty for protocol ${v.protocol}` });
  if ((v.protocol === "tcp" || v.protocol === "udp") && v.startPort == null)
    ctx.addIssue({ code: "custom", path: ["startPort"], message: `Start port is required for protocol ${v.protocol}` });
  if (v.startPort != null && v.endPort != null && v.startPort > v.endPort)
    ctx.addIssue({ code: "custom", path: ["endPort"], message: "End port must not be below the start port" });
}

/** The target NIC (a form's "Choose an instance…" is empty until picked). */
const nicIdSchema = z.string().min(1, { message: "Instance is required: choose one" }).uuid({ message: "Instance must be a valid id" });

const protocol = z.enum(ruleProtocols, { message: "Protocol must be tcp, udp, icmp or all" });

export const enableStaticNatInput = z.object({ publicIpId: idSchema, nicId: nicIdSchema });

export const createFirewallRuleInput = z
  .object({
    publicIpId: idSchema,
    protocol,
    startPort: portSchema("Start port").nullish(),
    endPort: portSchema("End port").nullish(),
    sourceCidrs: cidrList("Source CIDRs"),
  })
  .superRefine(portsForProtocol);
export type CreateFirewallRuleInput = z.infer<typeof createFirewallRuleInput>;

export const createEgressRuleInput = z
  .object({
    networkId: idSchema,
    protocol,
    startPort: portSchema("Start port").nullish(),
    endPort: portSchema("End port").nullish(),
    destCidrs: cidrList("Destination CIDRs"),
  })
  .superRefine(portsForProtocol);
export type CreateEgressRuleInput = z.infer<typeof createEgressRuleInput>;

export const createPortForwardInput = z
  .object({
    publicIpId: idSchema,
    protocol: z.enum(["tcp", "udp"], { message: "Protocol must be tcp or udp" }),
    publicStartPort: portSchema("Public start port"),
    publicEndPort: portSchema("Public end port").nullish(),
    privateStartPort: portSchema("Private start port"),
    privateEndPort: portSchema("Private end port").nullish(),
    nicId: nicIdSchema,
    privateIp: ipSchema("Private IP").optional(),
    /** Also create the firewall rule that lets the traffic in (CloudStack drops it otherwise). */
    openFirewall: z.boolean().default(false),
  })
  .superRefine((v, ctx) => {
    const pubEnd = v.publicEndPort ?? v.publicStartPort;
    const privEnd = v.privateEndPort ?? v.privateStartPort;
    if (pubEnd < v.publicStartPort)
      ctx.addIssue({ code: "custom", path: ["publicEndPort"], message: "Public end port must not be below the public start port" });
    else if (privEnd < v.privateStartPort)
      ctx.addIssue({ code: "custom", path: ["privateEndPort"], message: "Private end port must not be below the private start port" });
    else if (pubEnd - v.publicStartPort !== privEnd - v.privateStartPort)
      ctx.addIssue({ code: "custom", path: ["privateEndPort"], message: "The private port range must be as long as the public one" });
  });
export type CreatePortForwardInput = z.infer<typeof createPortForwardInput>;

export const healthCheckSchema = z
  .object({
    type: z.enum(["tcp", "http"], { message: "Health check must be tcp or http" }),
    path: z
      .string()
      .trim()
      .max(255, { message: "Health check path must be at most 255 characters" })
      .regex(/^\/[\x21-\x7e]*$/, { message: "Health check path must start with / and have no spaces" })
      .nullish(),
    intervalSeconds: z
      .number({ message: "Health check interval must be a number" })
      .int({ message: "Health check interval must be whole seconds" })
      .min(1, { message: "Health check interval must be 1-300 seconds" })
      .max(300, { message: "Health check interval must be 1-300 seconds" })
      .default(5),
    unhealthyThreshold: z
      .number({ message: "Unhealthy threshold must be a number" })
      .int({ message: "Unhealthy threshold must be a whole number" })
      .min(1, { message: "Unhealthy threshold must be 1-10" })
      .max(10, { message: "Unhealthy threshold must be 1-10" })
      .default(3),
  })
  .superRefine((v, ctx) => {
    if (v.type === "http" && !v.path)
      ctx.addIssue({ code: "custom", path: ["path"], message: "Health check path is required for HTTP checks" });
  });

export const createLoadBalancerInput = z.object({
  publicIpId: idSchema,
  name: nameSchema,
  publicPort: portSchema("Public port"),
  privatePort: portSchema("Private port"),
  algorithm: z.enum(lbAlgorithms, { message: "Algorithm must be roundrobin, leastconn or source" }).default("roundrobin"),
  nicIds: z.array(idSchema).max(64, { message: "At most 64 members" }).default([]),
  healthCheck: healthCheckSchema.nullish(),
  openFirewall: z.boolean().default(false),
});
export type CreateLoadBalancerInput = z.infer<typeof createLoadBalancerInput>;

export const setLoadBalancerMembersInput = z.object({ id: idSchema, nicIds: z.array(idSchema).max(64, { message: "At most 64 members" }) });
export const networkRuleIdInput = z.object({ id: idSchema });
export const networkRulesOfInput = z.object({ networkId: idSchema });
