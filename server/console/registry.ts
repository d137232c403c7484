import { processSingleton } from "@/lib/process-singleton";

/**
 * Open console sessions of this process, one registry shared by both copies of this module: the
 * next-auth sign-out event runs inside Next.js's bundle, the proxy in server.ts. Whether a sign-in was ended lives in the database
 * (server/auth/session.ts); this only closes this process's consoles at once.
 */
export interface OpenConsole {
  id: string;
  userId: string;
  sessionId: string;
  instanceId: string;
  close(code: number, reason: string): void;
}

interface Registry {
  open: Map<string, OpenConsole>;
}

const reg = (): Registry => processSingleton("console.registry", () => ({ open: new Map() }));

export const CLOSE = {
  upstreamClosed: { code: 4000, reason: "The VM's console closed (the VM stopped or restarted)" },
  vmStopped: { code: 4001, reason: "VM stopped" },
  accessRevoked: { code: 4003, reason: "Access revoked" },
  tooMany: { code: 4029, reason: "Too many open consoles" },
  loggedOut: { code: 4004, reason: "Signed out" },
  idle: { code: 4008, reason: "Closed after being idle" },
  error: { code: 4010, reason: "Console connection failed" },
  shutdown: { code: 1001, reason: "Server shutting down" },
} as const;

export function addConsole(c: OpenConsole) {
  reg().open.set(c.id, c);
}

export function removeConsole(id: string) {
  reg().open.delete(id);
}

export const openConsoles = () => [...reg().open.values()];

/** Closes this process's consoles of sessions that just ended (other processes notice at their next check). */
export function closeConsolesOfSessions(sessionIds: string[]) {
  if (!sessionIds.length) return;
  const ids = new Set(sessionIds);
  for (const c of [...reg().open.values()]) if (ids.has(c.sessionId)) c.close(CLOSE.loggedOut.code, CLOSE.loggedOut.reason);
}

/** How many consoles this user has open in this process. */
export const openConsolesOf = (userId: string) => [...reg().open.values()].filter((c) => c.userId === userId).length;

/** Closes every console of a VM (e.g. when it stops); returns how many were closed. */
export function closeConsolesOf(instanceId: string, code: number = CLOSE.vmStopped.code, reason: string = CLOSE.vmStopped.reason) {
  let n = 0;
  for (const c of [...reg().open.values()])
    if (c.instanceId === instanceId) {
      c.close(code, reason);
      n++;
    }
  return n;
}

export function closeAllConsoles() {
  for (const c of [...reg().open.values()]) c.close(CLOSE.shutdown.code, CLOSE.shutdown.reason);
}
