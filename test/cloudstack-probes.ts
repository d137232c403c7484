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
  listVolumes: (v) => ({ virtualmachineid: v.ids.instance!, listall: "true" }),
  listNetworks: (v) => ({ id: v.ids.network!, listall: "true" }),
  listEvents: (v) => ({ domainid: v.domainId, listall: "true" }),
  listDomains: (v) => ({ id: v.domainId }),
  listAccounts: (v) => ({ domainid: v.domainId, listall: "true" }),
  listUsers: (v) => ({ id: v.userId, listall: "true" }),
  // Refused before any password check (login wants POST); a session request without its cookie is 401.
  login: () => ({ username: "tenant", password: "wrong-password" }),
  logout: () => ({}),
  createDomain: (v) => ({ name: "intruder", parentdomainid: v.domainId }),
  createAccount: (v) => ({ username: "intruder", password: "password-intruder", account: "intruder", domainid: v.domainId }),
  createUser: (v) => ({ username: "intruder", password: "password-intruder", account: "acme-dev", domainid: v.domainId }),
  registerUserKeys: (v) => ({ id: v.userId }),
  listHosts: () => ({}),
  listCapacity: () => ({}),
  listAsyncJobs: (v) => ({ listall: "true", domainid: v.domainId, account: "acme-dev" }),
  listUsageRecords: (v) => ({ startdate: "2000-01-01", enddate: "2100-01-01", domainid: v.domainId, accountid: v.accountId }),
};
