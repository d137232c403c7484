import { randomUUID } from "node:crypto";
import type { IncomingMessage } from "node:http";
import net from "node:net";
import type { Duplex } from "node:stream";
import { WebSocketServer, type WebSocket } from "ws";
import type { Db } from "@/db";
import { claimsFromCookie } from "@/server/auth/session-cookie";
import { checkSession, type SessionCheck } from "@/server/auth/session";
import type { Caller } from "@/server/authz/caller";
import { env } from "@/server/env";
import { crossSiteProblem } from "@/server/net/origin";
import { driverFor } from "@/server/orchestrator/drivers/registry";
import type { HostRef } from "@/server/orchestrator/drivers/types";
import { vmInternalName } from "@/server/orchestrator/vm-name";
import { loadHostRef } from "@/server/orchestrator/drivers/host-ref";
import { getInstanceInScope, type Instance } from "@/server/services/instances/access";
import { recordVmEvent } from "@/server/core/events";
import { ServiceError } from "@/server/core/errors";
import { checkApiKeyById } from "@/server/services/api-keys";
import { ByteQueue } from "./byte-queue";
import { consoleConfig } from "./config";
import { addConsole, CLOSE, openConsolesOf, removeConsole } from "./registry";
import { downstreamHandshake, upstreamHandshake } from "./rfb-handshake";
import { redeemTicket } from "./tickets";

/**
 * The console WebSocket: `/api/console/<instanceId>?ticket=…`, taken on the HTTP server's upgrade
 * event. Before anything is connected it checks the session cookie (a next-auth JWT), redeems the
 * ticket (single use; it must name this VM, this user and this login), re-reads the user and the
 * VM, and asks the VM's driver where its VNC server is. No host or port ever comes from the
 * browser: the proxy connects only to what the driver reports for a known, running VM.
 * While open, the session is re-checked every few seconds and closed when the VM stops, moves or
 * goes away, when the user signs out or loses access, or after an idle time without input.
 * The session is checked by server/auth/session.ts's checkSession, as for every other request.
 */
export const CONSOLE_PATH = /^\/api\/console\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\/?$/i;

export interface ConsoleProxyOptions {
  db: Db;
  /** The next-auth secret (read when a request comes, as server.ts may set it after start-up). */
  secret?: () => string | undefined;
  log?: (msg: string) => void;
  /** Open consoles allowed per user in this process (default STRATUS_CONSOLE_MAX_PER_USER). */
  maxPerUser?: () => number;
}

class Refusal extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const STATUS_TEXT: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  409: "Conflict",
  502: "Bad Gateway",
};

function refuse(socket: Duplex, status: number, message: string) {
  const body = `${message}\n`;
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? "Error"}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
  socket.destroy();
}

interface Session {
  userId: string;
  sessionVersion: number;
  sessionId: string;
  expiresAtMs: number;
  /** Set for a console opened with an API-key ticket (sessionId is then `apikey:<id>`, no sign-in). */
  apiKeyId?: string;
}

async function sessionOf(req: IncomingMessage, secret: string | undefined): Promise<Session | null> {
  const c = await claimsFromCookie(req.headers.cookie, secret);
  return c && { userId: c.uid, sessionVersion: c.sv, sessionId: c.sid, expiresAtMs: c.expiresAtMs };
}

/** Where the VM runs, for its driver (the same view the jobs use, with libvirt's domain type). */
const hostOf = loadHostRef;

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(t)),
    new Promise<never>((_, reject) => {
      t = setTimeout(() => reject(new Error(`${what} timed out`)), ms);
    }),
  ]);
}

/** True when a browser→VM WebSocket message is only FramebufferUpdateRequests (not user input). */
export function onlyUpdateRequests(b: Buffer): boolean {
  if (b.length === 0 || b.length % 10 !== 0) return false;
  for (let i = 0; i < b.length; i += 10) if (b[i] !== 3) return false;
  return true;
}

/** Connects to the VM's VNC server and finishes its security handshake. */
async function connectUpstream(endpoint: { host: string; port: number; password?: string }) {
  const sock = net.connect({ host: endpoint.host, port: endpoint.port });
  sock.setNoDelay(true);
  const q = new ByteQueue();
  const onData = (d: Buffer) => q.push(d);
  const onEnd = () => q.fail(new Error("The VM's console closed the connection"));
  sock.on("data", onData);
  sock.on("close", onEnd);
  sock.on("error", (e) => q.fail(e));
  try {
    await withTimeout(
      upstreamHandshake(q, (b) => sock.write(b), endpoint.password),
      10_000,
      "Connecting to the VM's console",
    );
  } catch (e) {
    sock.destroy();
    throw e;
  }
  // Hold the stream until the browser's side is ready (nothing flows before ClientInit anyway).
  sock.pause();
  sock.off("data", onData);
  sock.off("close", onEnd);
  return { sock, leftover: q.drain() };
}

export function createConsoleProxy(opts: ConsoleProxyOptions) {
  const wss = new WebSocketServer({ noServer: true, maxPayload: 4 * 1024 * 1024, perMessageDeflate: false });
  const log = opts.log ?? ((m: string) => console.log(`[console] ${m}`));
  const secret = opts.secret ?? (() => env().NEXTAUTH_SECRET);
  const maxPerUser = opts.maxPerUser ?? (() => env().STRATUS_CONSOLE_MAX_PER_USER);
  /** Consoles being opened (authorised, not yet registered), per user, for the cap. */
  const opening = new Map<string, number>();
  const adjustOpening = (userId: string, by: number) => {
    const n = (opening.get(userId) ?? 0) + by;
    if (n > 0) opening.set(userId, n);
    else opening.delete(userId);
  };
  const claimsOf = (s: Session) => ({ uid: s.userId, sv: s.sessionVersion, sid: s.sessionId });
  /** What an ended session means for a console: signed out (or expired), or access revoked. */
  const closeFor = (check: Exclude<SessionCheck, { ok: true }>) => (check.reason === "revoked" ? CLOSE.accessRevoked : CLOSE.loggedOut);

  /**
   * Whether the console may go on: a sign-in's session (checkSession, as every request), or for a
   * console opened with an API-key ticket, that key (live, unexpired, its user enabled).
   */
  async function recheck(s: Session): Promise<{ ok: true; caller: Caller } | Exclude<SessionCheck, { ok: true }>> {
    if (!s.apiKeyId) return checkSession(opts.db, claimsOf(s));
    const k = await checkApiKeyById(opts.db, s.apiKeyId);
    return k.ok && k.caller.userId === s.userId ? { ok: true, caller: k.caller } : { ok: false, reason: "revoked" };
  }

  /** Everything checked before the WebSocket is accepted; a Refusal says why not. */
  async function authorise(req: IncomingMessage, instanceId: string, ticket: string) {
    const cookie = await sessionOf(req, secret());
    // The ticket is spent whatever happens next: it travels with its cookie (or its key's binding) or not at all.
    const redeemed = await redeemTicket(opts.db, ticket, instanceId, cookie);
    const byKey = redeemed.ok ? redeemed.binding.apiKeyId : null;
    if (!cookie && !byKey && !(!redeemed.ok && redeemed.byKey))
      throw new Refusal(401, "Sign in to open a console (a console link opens once: ask for a new one)");
    if (!redeemed.ok)
      throw new Refusal(
        403,
        redeemed.reason === "expired" ? "The console ticket expired; open the console again" : "Invalid console ticket",
      );
    const b = redeemed.binding;
    const session: Session = byKey
      ? { userId: b.userId, sessionVersion: b.sessionVersion, sessionId: b.sessionId, expiresAtMs: 0, apiKeyId: byKey }
      : cookie!;
    const check = await recheck(session);
    if (!check.ok)
      throw check.reason === "revoked"
        ? new Refusal(403, byKey ? "The API key of this console link was revoked" : "Access revoked")
        : new Refusal(401, "Signed out");
    const caller = check.caller;
    let vm: Instance;
    try {
      vm = await getInstanceInScope(opts.db, caller, instanceId);
    } catch (e) {
      if (e instanceof ServiceError) throw new Refusal(404, e.message);
      throw e;
    }
    if (vm.state !== "running" || !vm.hostId) throw new Refusal(409, `Instance ${vm.name} is ${vm.state}`);
    const host = await hostOf(opts.db, vm.hostId);
    if (!host) throw new Refusal(409, `Instance ${vm.name} has no host`);
    return { session, caller, vm, host };
  }

  /** Takes the upgrade if it is a console URL (true); otherwise leaves it to the caller (false). */
  function handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    const url = new URL(req.url ?? "/", "http://localhost");
    if (!url.pathname.startsWith("/api/console/")) return false;
    void (async () => {
      socket.on("error", () => undefined);
      const m = CONSOLE_PATH.exec(url.pathname);
      if (!m) return refuse(socket, 404, "No such console");
      const header = (name: string) => {
        const v = req.headers[name];
        return Array.isArray(v) ? v[0] : v;
      };
      if (crossSiteProblem(header)) return refuse(socket, 403, "Cross-origin console connections are refused");
      const ticket = url.searchParams.get("ticket");
      if (!ticket) return refuse(socket, 401, "A console ticket is required");
      const instanceId = m[1]!.toLowerCase();
      let ctx: Awaited<ReturnType<typeof authorise>>;
      let upstream: Awaited<ReturnType<typeof connectUpstream>>;
      try {
        ctx = await authorise(req, instanceId, ticket);
      } catch (e) {
        if (e instanceof Refusal) return refuse(socket, e.status, e.message);
        log(`console of ${instanceId} failed: ${e instanceof Error ? e.message : String(e)}`);
        return refuse(socket, 502, "Could not open the VM's console");
      }
      const userId = ctx.session.userId;
      const cap = maxPerUser();
      if (openConsolesOf(userId) + (opening.get(userId) ?? 0) >= cap) {
        // Accept, then close with a reason the browser can show (an HTTP refusal is opaque to it).
        log(`refused a console of ${ctx.vm.name} for ${ctx.caller.username}: ${cap} already open`);
        return wss.handleUpgrade(req, socket, head, (ws) =>
          ws.close(CLOSE.tooMany.code, `${CLOSE.tooMany.reason}: at most ${cap} per user; close one first`),
        );
      }
      adjustOpening(userId, 1);
      // Released once the console is registered, or if the socket goes away before that (a bad handshake).
      let pending = true;
      const release = () => {
        if (pending) adjustOpening(userId, -1);
        pending = false;
      };
      socket.once("close", release);
      try {
        const endpoint = await driverFor(ctx.host).consoleEndpoint(ctx.host, vmInternalName(ctx.vm));
        upstream = await connectUpstream(endpoint).catch((e: unknown) => {
          throw new Refusal(502, `Could not reach the VM's console: ${e instanceof Error ? e.message : String(e)}`);
        });
      } catch (e) {
        release();
        if (e instanceof Refusal) return refuse(socket, e.status, e.message);
        log(`console of ${instanceId} failed: ${e instanceof Error ? e.message : String(e)}`);
        return refuse(socket, 502, "Could not open the VM's console");
      }
      if (socket.destroyed) {
        release();
        upstream.sock.destroy();
        return;
      }
      wss.handleUpgrade(req, socket, head, (ws) => {
        // runSession registers the console at once (synchronously), so the cap counts it from here.
        release();
        void runSession(ws, ctx, upstream).catch((e: unknown) => log(`session error: ${e instanceof Error ? e.message : String(e)}`));
      });
    })().catch((e: unknown) => {
      log(`upgrade failed: ${e instanceof Error ? e.message : String(e)}`);
      if (!socket.destroyed) refuse(socket, 502, "Could not open the VM's console");
    });
    return true;
  }

  async function runSession(
    ws: WebSocket,
    ctx: { session: Session; caller: Caller; vm: Instance; host: HostRef },
    upstream: { sock: net.Socket; leftover: Buffer },
  ) {
    const { sock } = upstream;
    const id = randomUUID();
    const opened = Date.now();
    let lastInput = Date.now();
    let closed = false;
    let piping = false;
    const fromBrowser = new ByteQueue();
    const vm = ctx.vm;

    const close = (code: number, reason: string) => {
      if (closed) return;
      closed = true;
      clearInterval(checker);
      removeConsole(id);
      sock.destroy();
      if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) ws.close(code, reason);
      else ws.terminate();
      const seconds = Math.round((Date.now() - opened) / 1000);
      log(`closed ${vm.name} for ${ctx.caller.username}: ${reason}`);
      void recordVmEvent(opts.db, vm, "VM.CONSOLE.CLOSE", `Console of ${vm.name} closed after ${seconds} s: ${reason}`, {
        actor: ctx.caller,
        details: { consoleSessionId: id, reason, code, seconds },
      }).catch(() => undefined);
    };

    /** Why the session must end now, or null while it may go on. */
    const verdict = async (): Promise<{ code: number; reason: string } | null> => {
      if (ctx.session.expiresAtMs && ctx.session.expiresAtMs <= Date.now()) return CLOSE.loggedOut;
      const check = await recheck(ctx.session);
      if (!check.ok) return closeFor(check);
      const caller = check.caller;
      let now: Instance;
      try {
        now = await getInstanceInScope(opts.db, caller, vm.id);
      } catch {
        return CLOSE.accessRevoked;
      }
      if (now.state !== "running")
        return { code: CLOSE.vmStopped.code, reason: now.state === "destroyed" ? "VM destroyed" : CLOSE.vmStopped.reason };
      if (now.hostId !== vm.hostId) return { code: CLOSE.vmStopped.code, reason: "VM moved to another host" };
      if (Date.now() - lastInput > consoleConfig.idleMs) return CLOSE.idle;
      return null;
    };

    let checking = false;
    const checker = setInterval(() => {
      if (checking || closed) return;
      checking = true;
      void verdict()
        .then((v) => v && close(v.code, v.reason))
        .catch(() => undefined)
        .finally(() => (checking = false));
    }, consoleConfig.checkMs);
    checker.unref();

    addConsole({ id, userId: ctx.session.userId, sessionId: ctx.session.sessionId, instanceId: vm.id, close });

    ws.on("message", (data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean) => {
      if (!isBinary) return close(CLOSE.error.code, "Text frames are not part of RFB");
      const b = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
      if (!piping) return fromBrowser.push(b);
      if (!onlyUpdateRequests(b)) lastInput = Date.now();
      sock.write(b);
    });
    ws.on("close", () => close(1000, "Closed by the browser"));
    ws.on("error", () => close(CLOSE.error.code, CLOSE.error.reason));
    sock.on("close", () => {
      if (closed) return;
      // Say why if the VM stopped; otherwise the console itself went away.
      void verdict()
        .then((v) => close(v?.code ?? CLOSE.upstreamClosed.code, v?.reason ?? CLOSE.upstreamClosed.reason))
        .catch(() => close(CLOSE.upstreamClosed.code, CLOSE.upstreamClosed.reason));
    });
    sock.on("error", () => undefined);
    if (sock.destroyed) return close(CLOSE.upstreamClosed.code, CLOSE.upstreamClosed.reason);

    try {
      await withTimeout(
        downstreamHandshake(fromBrowser, (b) => ws.send(b)),
        15_000,
        "The browser's RFB handshake",
      );
    } catch (e) {
      return close(CLOSE.error.code, e instanceof Error ? e.message.slice(0, 120) : CLOSE.error.reason);
    }
    if (closed) return;
    piping = true;
    const early = fromBrowser.drain();
    if (early.length) sock.write(early);
    if (upstream.leftover.length) ws.send(upstream.leftover);
    let paused = false;
    sock.on("data", (d: Buffer) => {
      ws.send(d, () => {
        if (paused && ws.bufferedAmount < 1 << 20) {
          paused = false;
          sock.resume();
        }
      });
      if (ws.bufferedAmount > 8 << 20) {
        paused = true;
        sock.pause();
      }
    });
    sock.resume();
    log(`opened ${vm.name} for ${ctx.caller.username}`);
    await recordVmEvent(opts.db, vm, "VM.CONSOLE.OPEN", `Console of ${vm.name} opened by ${ctx.caller.username}`, {
      actor: ctx.caller,
      details: { consoleSessionId: id, hostId: vm.hostId },
    }).catch(() => undefined);
  }

  return {
    handleUpgrade,
    close() {
      wss.close();
    },
  };
}
