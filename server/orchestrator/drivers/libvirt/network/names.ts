import { networkDevices, type NetworkSpec } from "../../../network/spec";
import { positiveInt } from "./values";

/** The router namespace's own interface names (a namespace has its own name space, so they are fixed). */
export const NS_GUEST_IF = "guest0";
export const NS_PUBLIC_LINK = "public0";
/** The nftables table the router owns inside its namespace; replaced whole on every apply. */
export const NFT_TABLE = "stratus";

/** The public interface inside the namespace: public0, or its VLAN sub-interface when the zone's public network is tagged. */
export function nsPublicIf(spec: Pick<NetworkSpec, "public">) {
  const vlan = spec.public?.vlan;
  return vlan ? `${NS_PUBLIC_LINK}.${positiveInt(vlan, "public VLAN", 4094)}` : NS_PUBLIC_LINK;
}

/** Every host-side device of a network, from its key: the contract's names and the segment sub-interface. */
export function devicesOf(key: string) {
  const d = networkDevices(key);
  return { ...d, vlan: `svl-${key}`, vxlan: `svx-${key}` };
}

/** Where the router keeps its generated files and pid files on the host. */
export function stateDirOf(root: string, key: string) {
  return `${root.replace(/\/+$/, "")}/${networkDevices(key).namespace}`;
}

/** The router's address on the guest network: its own (shared networks) or the gateway. */
export function routerGuestIp(guest: NonNullable<NetworkSpec["guest"]>) {
  return guest.routerIp ?? guest.gateway;
}
