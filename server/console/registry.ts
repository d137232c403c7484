/**
 * Open console sessions of this process, and the sessions (logins) that were signed out, on
 * globalThis: the next-auth sign-out event runs inside Next.js's bundle, the proxy in server.ts.
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
  /** Signed-out session ids → when their JWT would have expired (ms). */
  signedOut: Map<string, number>;
}

const g = globalThis as unknown as { __stratusConsoles?: Registry };
const reg = (): Registry => (g.__stratusConsoles ??= { open: new Map(), signedOut: new Map() });

export const CLOSE = {
  upstreamClosed: { code: 4000, reason: "The VM's console closed (the VM stopped or restarted)" },
  vmStopped: { code: 4001, reason: "VM stopped" },
  accessRevoked: { code: 4003, reason: "Access revoked" },
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

/** Called on sign-out: closes that login's consoles and refuses its cookie from now on. */
export function signOutSession(sessionId: string, expiresAtMs: number) {
  const r = reg();
  const now = Date.now();
  for (const [k, exp] of r.signedOut) if (exp <= now) r.signedOut.delete(k);
  r.signedOut.set(sessionId, expiresAtMs);
  for (const c of [...r.open.values()]) if (c.sessionId === sessionId) c.close(CLOSE.loggedOut.code, CLOSE.loggedOut.reason);
}

export const isSignedOut = (sessionId: string) => reg().signedOut.has(sessionId);

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
