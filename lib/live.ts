/** What the change feed (server/core/changes.ts) announces; shared with the browser. */
export const changeKinds = ["job", "instance", "volume", "alert", "event"] as const;
export type ChangeKind = (typeof changeKinds)[number];

/**
 * Which tRPC routers' queries a change makes stale (invalidated by path prefix, so a router added
 * later — `dashboard` — is covered by its name alone). A job's start, progress or end also changes
 * the "busy" marks of the resource lists it works on.
 */
export const invalidatedBy: Record<ChangeKind, readonly string[]> = {
  job: ["job", "instance", "volume", "snapshot", "vmSnapshot", "network", "dashboard"],
  instance: ["instance", "dashboard"],
  volume: ["volume", "instance", "dashboard"],
  alert: ["alert", "dashboard"],
  event: ["event", "dashboard"],
};

/**
 * A job's change by the type of resource it works on, where that is known to touch fewer lists:
 * the system's own jobs (aggregation, balance checks, webhook deliveries) mark nothing busy, so an
 * idle admin tab does not re-read every list each time one runs. Other types: all of `job`'s.
 */
const jobResourceLists: Readonly<Record<string, readonly string[]>> = {
  instance: ["instance", "volume", "vmSnapshot", "network"],
  volume: ["volume", "instance", "snapshot"],
  network: ["network", "instance"],
  template: ["template"],
  template_copy: ["template"],
  usage: [],
  webhook_delivery: [],
  account_balance: [],
};

/**
 * An event's change by the type of resource it records: what has no change kind of its own (a host
 * going Down or coming back, a pool disabled, a network or template changed outside a job) is
 * re-read where it is listed, since every such change records an event in its transaction.
 */
const eventResourceLists: Readonly<Record<string, readonly string[]>> = {
  host: ["host", "cluster", "zone", "capacity"],
  cluster: ["cluster", "host", "zone", "capacity"],
  pod: ["pod", "cluster", "zone"],
  zone: ["zone", "capacity"],
  storage_pool: ["storagePool", "capacity"],
  secondary_store: ["secondaryStore"],
  network: ["network", "zoneNetwork", "sharedNetwork"],
  security_group: ["securityGroup"],
  template: ["template"],
  template_copy: ["template"],
  domain: ["domain"],
  account: ["account", "billing"],
  user: ["user"],
  webhook: ["webhook"],
  compute_offering: ["computeOffering"],
  disk_offering: ["diskOffering"],
  network_offering: ["networkOffering"],
};

export interface LiveMessage {
  kind: ChangeKind;
  id: string;
  /** A job's or event's resource type. */
  resourceType?: string;
}

/** The tRPC router prefixes a message makes stale. */
export function invalidatedByMessage(m: LiveMessage): readonly string[] {
  if (m.resourceType === undefined) return invalidatedBy[m.kind];
  if (m.kind === "job") {
    const lists = jobResourceLists[m.resourceType];
    return lists ? ["job", "dashboard", ...lists] : invalidatedBy.job;
  }
  if (m.kind === "event") return [...invalidatedBy.event, ...(eventResourceLists[m.resourceType] ?? [])];
  return invalidatedBy[m.kind];
}

/** Every prefix a change may touch: re-read after the stream reconnects (changes may have been missed). */
export const allLivePrefixes = [...new Set([...Object.values(invalidatedBy), ...Object.values(eventResourceLists)].flat())];

/** Parses one `data:` message of /api/stream; null for anything else. */
export function liveMessage(data: string): LiveMessage | null {
  try {
    const v = JSON.parse(data) as { kind?: unknown; id?: unknown; resourceType?: unknown };
    if (typeof v.id !== "string" || typeof v.kind !== "string" || !Object.hasOwn(invalidatedBy, v.kind)) return null;
    return { kind: v.kind as ChangeKind, id: v.id, ...(typeof v.resourceType === "string" ? { resourceType: v.resourceType } : {}) };
  } catch {
    return null;
  }
}

/** Reconnect delay after the n-th failure in a row: 1 s doubling to 60 s, ±25 % jitter so tabs do not reconnect in step. */
export const reconnectDelayMs = (failures: number, random = Math.random()) =>
  Math.round(Math.min(60_000, 1000 * 2 ** Math.max(0, failures - 1)) * (0.75 + random * 0.5));

/**
 * The polling that remains beside the stream: a slow fallback while this tab's stream is open
 * (the stream says when to re-read), the old quick pace while it is not (connecting, server down).
 * `busy`: the view shows something in motion (a job running, a transitional state).
 */
export function liveInterval(busy: boolean): number {
  const open = typeof document !== "undefined" && document.documentElement.dataset.liveStream === "open";
  if (open) return busy ? 15_000 : 60_000;
  return busy ? 1000 : 15_000;
}
