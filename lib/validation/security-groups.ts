import { z } from "zod";
import { idSchema, nameSchema, optionalText } from "./common";
import { parseCidr } from "../ipv4";

/** Security groups and their rules (CloudStack's): client-safe, forms reuse these. */

export const securityGroupDirections = ["ingress", "egress"] as const;
export const securityGroupProtocols = ["tcp", "udp", "icmp", "all"] as const;
export type SecurityGroupDirection = (typeof securityGroupDirections)[number];
export type SecurityGroupProtocol = (typeof securityGroupProtocols)[number];

/** CloudStack's name for the group every account gets on first use. */
export const DEFAULT_SECURITY_GROUP = "default";

export const securityGroupIdInput = z.object({ id: idSchema });

export const createSecurityGroupInput = z.object({
  name: nameSchema.refine((n) => n.toLowerCase() !== DEFAULT_SECURITY_GROUP, {
    message: `Name "${DEFAULT_SECURITY_GROUP}" is reserved for the account's default group`,
  }),
  description: optionalText(255, "Description"),
});
export type CreateSecurityGroupInput = z.infer<typeof createSecurityGroupInput>;

const port = (what: string) =>
  z
    .number({ message: `${what} must be a number` })
    .int({ message: `${what} must be a whole number` })
    .min(1, { message: `${what} must be between 1 and 65535` })
    .max(65535, { message: `${what} must be between 1 and 65535` });

/** One rule: tcp/udp take a port range (both ends or none = all ports); the peer is a CIDR or a group. */
export const addSecurityGroupRuleInput = z
  .object({
    securityGroupId: idSchema,
    direction: z.enum(securityGroupDirections, { message: "Direction must be ingress or egress" }),
    protocol: z.enum(securityGroupProtocols, { message: "Protocol must be tcp, udp, icmp or all" }),
    startPort: port("Start port").nullable().default(null),
    endPort: port("End port").nullable().default(null),
    cidr: z
      .string()
      .trim()
      .nullable()
      .default(null)
      .transform((v) => (v === "" ? null : v)),
    peerSecurityGroupId: idSchema.nullable().default(null),
  })
  .superRefine((v, ctx) => {
    const tcpUdp = v.protocol === "tcp" || v.protocol === "udp";
    if (!tcpUdp && (v.startPort !== null || v.endPort !== null))
      ctx.addIssue({ code: "custom", path: ["startPort"], message: `Ports apply to tcp and udp only, not ${v.protocol}` });
    if (tcpUdp && (v.startPort === null) !== (v.endPort === null))
      ctx.addIssue({
        code: "custom",
        path: [v.startPort === null ? "startPort" : "endPort"],
        message: "Give both ports, or neither for all ports",
      });
    if (v.startPort !== null && v.endPort !== null && v.startPort > v.endPort)
      ctx.addIssue({ code: "custom", path: ["endPort"], message: "End port must not be below the start port" });
    if ((v.cidr === null) === (v.peerSecurityGroupId === null))
      ctx.addIssue({ code: "custom", path: ["cidr"], message: "Give either a CIDR or a security group as the peer" });
    if (v.cidr !== null && !parseCidr(v.cidr))
      ctx.addIssue({ code: "custom", path: ["cidr"], message: "CIDR must be an IPv4 network like 203.0.113.0/24 (0.0.0.0/0 for any)" });
  });
export type AddSecurityGroupRuleInput = z.infer<typeof addSecurityGroupRuleInput>;

export const removeSecurityGroupRuleInput = z.object({ id: idSchema });

/** The groups of a VM's NICs on shared networks (a stopped VM; at least one group). */
export const setNicSecurityGroupsInput = z.object({
  nicId: idSchema,
  securityGroupIds: z
    .array(idSchema)
    .min(1, { message: "Choose at least one security group" })
    .max(10, { message: "At most 10 security groups per NIC" }),
});
