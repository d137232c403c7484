import type { Victim } from "./authz-probes";

/**
 * One probe per CloudStack command (server/cloudstack/commands): parameters aimed at the victim's
 * objects. authz.test.ts fails on a command without a probe: add one with every new command.
 */
export const cloudStackProbes: Record<string, (v: Victim) => Record<string, string>> = {
  listApis: () => ({}),
  listCapabilities: () => ({}),
  listZones: () => ({}),
  listServiceOfferings: (v) => ({ id: v.ids.computeOffering! }),
  listDiskOfferings: (v) => ({ id: v.ids.diskOffering! }),
  listTemplates: (v) => ({ templatefilter: "all", id: v.ids.privateTemplate! }),
  listIsos: (v) => ({ isofilter: "all", id: v.ids.privateTemplate! }),
  listVirtualMachines: (v) => ({ listall: "true", domainid: v.domainId, account: "acme-dev" }),
  deployVirtualMachine: (v) => ({
    zoneid: v.ids.zone!,
    templateid: v.ids.privateTemplate!,
    serviceofferingid: v.ids.computeOffering!,
    networkids: v.ids.network!,
    name: "intruder",
  }),
  startVirtualMachine: (v) => ({ id: v.ids.instance! }),
  stopVirtualMachine: (v) => ({ id: v.ids.instance!, forced: "true" }),
  rebootVirtualMachine: (v) => ({ id: v.ids.instance! }),
  destroyVirtualMachine: (v) => ({ id: v.ids.instance!, expunge: "true" }),
  expungeVirtualMachine: (v) => ({ id: v.ids.instance! }),
  recoverVirtualMachine: (v) => ({ id: v.ids.instance! }),
  changeServiceForVirtualMachine: (v) => ({ id: v.ids.instance!, serviceofferingid: v.ids.computeOffering! }),
  queryAsyncJobResult: (v) => ({ jobid: v.ids.job! }),
  createConsoleEndpoint: (v) => ({ virtualmachineid: v.ids.instance! }),
  listVolumes: (v) => ({ virtualmachineid: v.ids.instance!, listall: "true" }),
  listNetworks: (v) => ({ id: v.ids.network!, listall: "true" }),
  listEvents: (v) => ({ domainid: v.domainId, listall: "true" }),
  listDomains: (v) => ({ id: v.domainId }),
  listAccounts: (v) => ({ domainid: v.domainId, listall: "true" }),
  listUsers: (v) => ({ id: v.userId, listall: "true" }),
};
