import { z } from "zod";
import { createTRPCRouter, permissionProcedure, protectedProcedure } from "@/server/api/trpc";
import { idSchema, listInputOf, sortKeysOf } from "@/lib/validation/common";
import {
  acquirePublicIpInput,
  addNicInput,
  addPublicIpRangeInput,
  addVlanRangeInput,
  createNetworkInput,
  networkIdInput,
  networkListFilters,
  publicIpIdInput,
  publicIpRangeIdInput,
  removeNicInput,
  removeVlanRangeInput,
  updateNicIpInput,
  updateZoneNetworkInput,
  zoneIdInput,
} from "@/lib/validation/networks";
import * as ops from "@/server/services/networks/operations";
import * as nicOps from "@/server/services/networks/nic-operations";
import { getNetworkDetail, listNetworks, networkChoices, networkSortable, nicsOfInstance } from "@/server/services/networks/queries";
import * as zoneNet from "@/server/services/networks/zone-settings";
import * as publicIps from "@/server/services/networks/public-ips";
import * as rules from "@/server/services/networks/rules";
import {
  createEgressRuleInput,
  createFirewallRuleInput,
  createLoadBalancerInput,
  createPortForwardInput,
  enableStaticNatInput,
  networkRuleIdInput,
  networkRulesOfInput,
  setLoadBalancerMembersInput,
} from "@/lib/validation/network-rules";

/** Guest networks: every signed-in caller's own account; admins also see their scope's. */
export const networkRouter = createTRPCRouter({
  list: protectedProcedure
    .input(listInputOf(sortKeysOf(networkSortable)).extend(networkListFilters))
    .query(({ ctx, input }) => listNetworks(ctx.db, ctx.caller, input)),
  get: protectedProcedure.input(networkIdInput).query(({ ctx, input }) => getNetworkDetail(ctx.db, ctx.caller, input.id)),
  choices: protectedProcedure.input(zoneIdInput).query(({ ctx, input }) => networkChoices(ctx.db, ctx.caller, input.zoneId)),
  create: protectedProcedure.input(createNetworkInput).mutation(({ ctx, input }) => ops.createNetwork(ctx.db, ctx.caller, input)),
  delete: protectedProcedure.input(networkIdInput).mutation(({ ctx, input }) => ops.deleteNetwork(ctx.db, ctx.caller, input.id)),
  restart: protectedProcedure.input(networkIdInput).mutation(({ ctx, input }) => ops.restartNetwork(ctx.db, ctx.caller, input.id)),
});

/** A VM's NICs (the instance page) and NIC operations on a stopped VM. */
export const nicRouter = createTRPCRouter({
  list: protectedProcedure
    .input(z.object({ instanceId: idSchema }))
    .query(({ ctx, input }) => nicsOfInstance(ctx.db, ctx.caller, input.instanceId)),
  add: protectedProcedure.input(addNicInput).mutation(({ ctx, input }) => nicOps.addNic(ctx.db, ctx.caller, input)),
  remove: protectedProcedure.input(removeNicInput).mutation(({ ctx, input }) => nicOps.removeNic(ctx.db, ctx.caller, input)),
  updateIp: protectedProcedure.input(updateNicIpInput).mutation(({ ctx, input }) => nicOps.updateNicIp(ctx.db, ctx.caller, input)),
});

/** A zone's network settings and guest VLAN ranges (root admin). */
export const zoneNetworkRouter = createTRPCRouter({
  get: permissionProcedure("infra.read")
    .input(zoneIdInput)
    .query(({ ctx, input }) => zoneNet.getZoneNetwork(ctx.db, ctx.caller, input.zoneId)),
  update: permissionProcedure("infra.manage")
    .input(updateZoneNetworkInput)
    .mutation(({ ctx, input }) => zoneNet.updateZoneNetwork(ctx.db, ctx.caller, input)),
  addVlanRange: permissionProcedure("infra.manage")
    .input(addVlanRangeInput)
    .mutation(({ ctx, input }) => zoneNet.addVlanRange(ctx.db, ctx.caller, input)),
  removeVlanRange: permissionProcedure("infra.manage")
    .input(removeVlanRangeInput)
    .mutation(({ ctx, input }) => zoneNet.removeVlanRange(ctx.db, ctx.caller, input.id)),
});

/** Public addresses of a network: acquire (the first is its source NAT), release. */
export const publicIpRouter = createTRPCRouter({
  list: protectedProcedure
    .input(z.object({ networkId: idSchema }))
    .query(({ ctx, input }) => publicIps.listPublicIps(ctx.db, ctx.caller, input.networkId)),
  acquire: protectedProcedure
    .input(acquirePublicIpInput)
    .mutation(({ ctx, input }) => publicIps.acquirePublicIp(ctx.db, ctx.caller, input.networkId)),
  release: protectedProcedure.input(publicIpIdInput).mutation(({ ctx, input }) => publicIps.releasePublicIp(ctx.db, ctx.caller, input.id)),
});

/** A zone's public address ranges (root admin). */
export const publicIpRangeRouter = createTRPCRouter({
  list: permissionProcedure("infra.read")
    .input(zoneIdInput)
    .query(({ ctx, input }) => publicIps.listPublicIpRanges(ctx.db, ctx.caller, input.zoneId)),
  add: permissionProcedure("infra.manage")
    .input(addPublicIpRangeInput)
    .mutation(({ ctx, input }) => publicIps.addPublicIpRange(ctx.db, ctx.caller, input)),
  remove: permissionProcedure("infra.manage")
    .input(publicIpRangeIdInput)
    .mutation(({ ctx, input }) => publicIps.removePublicIpRange(ctx.db, ctx.caller, input.id)),
});

/** A network's rules: static NAT, port forwarding, firewall, egress, load balancing (each re-applies the network). */
export const networkRuleRouter = createTRPCRouter({
  list: protectedProcedure
    .input(networkRulesOfInput)
    .query(({ ctx, input }) => rules.listNetworkRules(ctx.db, ctx.caller, input.networkId)),
  enableStaticNat: protectedProcedure
    .input(enableStaticNatInput)
    .mutation(({ ctx, input }) => rules.enableStaticNat(ctx.db, ctx.caller, input)),
  createPortForward: protectedProcedure
    .input(createPortForwardInput)
    .mutation(({ ctx, input }) => rules.createPortForward(ctx.db, ctx.caller, input)),
  createFirewall: protectedProcedure
    .input(createFirewallRuleInput)
    .mutation(({ ctx, input }) => rules.createFirewallRule(ctx.db, ctx.caller, input)),
  createEgress: protectedProcedure
    .input(createEgressRuleInput)
    .mutation(({ ctx, input }) => rules.createEgressRule(ctx.db, ctx.caller, input)),
  createLoadBalancer: protectedProcedure
    .input(createLoadBalancerInput)
    .mutation(({ ctx, input }) => rules.createLoadBalancer(ctx.db, ctx.caller, input)),
  setLoadBalancerMembers: protectedProcedure
    .input(setLoadBalancerMembersInput)
    .mutation(({ ctx, input }) => rules.setLoadBalancerMembers(ctx.db, ctx.caller, input)),
  delete: protectedProcedure.input(networkRuleIdInput).mutation(({ ctx, input }) => rules.deleteNetworkRule(ctx.db, ctx.caller, input.id)),
});
