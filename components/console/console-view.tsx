"use client";
import type RFB from "@novnc/novnc";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useCallback, useEffect, useRef, useState } from "react";
import { Badge, type Tone } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { useTRPC } from "@/lib/trpc/client";

/**
 * A VM's screen in the browser with noVNC. The page asks console.ticket for a single-use ticket,
 * opens the portal's own WebSocket (/api/console/<id>?ticket=…; the session cookie goes along)
 * and hands that socket to noVNC, which is imported only here, in the browser (1.7 is ESM with a
 * top-level await). The socket's close code tells the status line why a session ended.
 */
type Status =
  | { kind: "connecting" }
  | { kind: "connected"; name: string }
  | { kind: "vm-stopped"; message: string }
  | { kind: "access-revoked"; message: string }
  | { kind: "signed-out" }
  | { kind: "idle" }
  | { kind: "disconnected"; message: string };

const statusView: Record<Status["kind"], { label: string; tone: Tone }> = {
  connecting: { label: "Connecting", tone: "amber" },
  connected: { label: "Connected", tone: "green" },
  "vm-stopped": { label: "VM stopped", tone: "gray" },
  "access-revoked": { label: "Access revoked", tone: "red" },
  "signed-out": { label: "Signed out", tone: "red" },
  idle: { label: "Disconnected (idle)", tone: "gray" },
  disconnected: { label: "Disconnected", tone: "gray" },
};

/** Close codes of server/console/registry.ts. */
function statusFromClose(code: number, reason: string): Status | null {
  if (code === 4001) return { kind: "vm-stopped", message: reason || "The VM stopped" };
  if (code === 4003) return { kind: "access-revoked", message: reason || "Access revoked" };
  if (code === 4004) return { kind: "signed-out" };
  if (code === 4008) return { kind: "idle" };
  if (code === 4000 || code === 4010) return { kind: "disconnected", message: reason };
  return null;
}

/** The X11 keysym for a character (Latin-1 directly, the rest as Unicode keysyms). */
export function keysymOf(ch: string): number {
  if (ch === "\n" || ch === "\r") return 0xff0d;
  if (ch === "\t") return 0xff09;
  const cp = ch.codePointAt(0)!;
  return cp < 0x100 ? cp : 0x01000000 + cp;
}

/**
 * `linkTicket`: the console page of a createConsoleEndpoint link (no portal session) passes the
 * ticket the link carried; it opens one connection, and reconnecting needs a new link.
 * `undefined`: the portal's page, which asks console.ticket for each connection.
 */
export function ConsoleView({ instanceId, linkTicket }: { instanceId: string; linkTicket?: string | null }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const screenRef = useRef<HTMLDivElement>(null);
  const frameRef = useRef<HTMLDivElement>(null);
  const rfbRef = useRef<RFB | null>(null);
  const generation = useRef(0);
  const [status, setStatus] = useState<Status>({ kind: "connecting" });
  // Another instance starts out connecting too (set while rendering, so the old status never shows).
  const [statusFor, setStatusFor] = useState(instanceId);
  if (statusFor !== instanceId) {
    setStatusFor(instanceId);
    setStatus({ kind: "connecting" });
  }
  const [scale, setScale] = useState(true);
  const [pasteText, setPasteText] = useState("");
  const [pasteOpen, setPasteOpen] = useState(false);
  const { mutateAsync: askTicket } = useMutation(trpc.console.ticket.mutationOptions());
  const fromLink = linkTicket !== undefined;
  const linkTicketLeft = useRef(linkTicket ?? null);
  const requestTicket = useCallback(
    async (input: { id: string }) => {
      if (!fromLink) return askTicket(input);
      const t = linkTicketLeft.current;
      linkTicketLeft.current = null;
      if (!t) throw new Error("This console link has been used: console links open once; ask for a new one (createConsoleEndpoint)");
      return { ticket: t, path: `/api/console/${input.id}` };
    },
    [fromLink, askTicket],
  );

  /** Asks the API why a console could not be opened (the WebSocket refusal carries no reason). */
  const explain = useCallback(
    async (fallback: string): Promise<Status> => {
      // A console link has no portal session to ask with.
      if (fromLink) return { kind: "disconnected", message: fallback };
      try {
        const vm = await queryClient.fetchQuery(trpc.instance.get.queryOptions({ id: instanceId }, { staleTime: 0 }));
        if (vm.state !== "running") return { kind: "vm-stopped", message: `The VM is ${vm.state}` };
        return { kind: "disconnected", message: fallback };
      } catch (e) {
        const code = (e as { data?: { code?: string } }).data?.code;
        if (code === "UNAUTHORIZED") return { kind: "signed-out" };
        return { kind: "access-revoked", message: e instanceof Error ? e.message : "Access revoked" };
      }
    },
    [fromLink, instanceId, queryClient, trpc],
  );

  /** Drops the current connection; its late events are ignored (they carry an older generation). */
  const stop = useCallback(() => {
    const gen = ++generation.current;
    rfbRef.current?.disconnect();
    rfbRef.current = null;
    return gen;
  }, []);

  /** Opens a connection; the caller has shown "connecting" (the initial status, or reconnect's). */
  const connect = useCallback(async () => {
    const gen = stop();
    screenRef.current?.replaceChildren();
    let t: { ticket: string; path: string };
    try {
      t = await requestTicket({ id: instanceId });
    } catch (e) {
      if (gen !== generation.current) return;
      const code = (e as { data?: { code?: string } }).data?.code;
      const message = e instanceof Error ? e.message : String(e);
      setStatus(
        code === "CONFLICT"
          ? { kind: "vm-stopped", message }
          : code === "UNAUTHORIZED"
            ? { kind: "signed-out" }
            : code === "NOT_FOUND"
              ? { kind: "access-revoked", message }
              : { kind: "disconnected", message },
      );
      return;
    }
    const { default: RFBClass } = await import("@novnc/novnc");
    if (gen !== generation.current || !screenRef.current) return;
    const proto = window.location.protocol === "https:" ? "wss:" : "ws:";
    const ws = new WebSocket(`${proto}//${window.location.host}${t.path}?ticket=${encodeURIComponent(t.ticket)}`, ["binary"]);
    ws.binaryType = "arraybuffer";
    let opened = false;
    let desktopName = "";
    let closeStatus: Status | null = null;
    ws.addEventListener("open", () => (opened = true));
    ws.addEventListener("close", (e) => {
      closeStatus = statusFromClose(e.code, e.reason);
    });
    const rfb = new RFBClass(screenRef.current, ws, { shared: true });
    rfb.scaleViewport = scale;
    rfb.resizeSession = false;
    rfb.focusOnClick = true;
    rfb.background = "rgb(15, 23, 42)";
    rfbRef.current = rfb;
    rfb.addEventListener("connect", () => {
      if (gen !== generation.current) return;
      setStatus({ kind: "connected", name: desktopName });
      rfb.focus();
    });
    rfb.addEventListener("desktopname", (e) => {
      // Sent with ServerInit, usually just before "connect".
      desktopName = e.detail.name;
      if (gen === generation.current) setStatus((s) => (s.kind === "connected" ? { kind: "connected", name: e.detail.name } : s));
    });
    rfb.addEventListener("disconnect", () => {
      if (gen !== generation.current) return;
      rfbRef.current = null;
      // The socket's close event may come just after noVNC's: wait a tick for its code.
      setTimeout(() => {
        if (gen !== generation.current) return;
        if (closeStatus) setStatus(closeStatus);
        else
          void explain(opened ? "The connection was closed" : "The console could not be opened").then(
            (s) => gen === generation.current && setStatus(s),
          );
      }, 50);
    });
  }, [explain, instanceId, requestTicket, scale, stop]);

  useEffect(() => {
    void connect();
    return () => {
      stop();
    };
    // Connect once per instance; reconnect is the button's job.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [instanceId]);

  useEffect(() => {
    if (rfbRef.current) rfbRef.current.scaleViewport = scale;
  }, [scale]);

  const connected = status.kind === "connected";
  const typeText = (text: string) => {
    const rfb = rfbRef.current;
    if (!rfb) return;
    for (const ch of text) rfb.sendKey(keysymOf(ch), null);
    rfb.focus();
  };
  const pasteClipboard = async () => {
    try {
      const text = await navigator.clipboard.readText();
      if (text) return typeText(text);
    } catch {
      /* no clipboard permission: ask for the text instead */
    }
    setPasteOpen(true);
  };
  const view = statusView[status.kind];
  const detail =
    status.kind === "connected"
      ? status.name
      : status.kind === "vm-stopped" || status.kind === "access-revoked" || status.kind === "disconnected"
        ? status.message
        : status.kind === "idle"
          ? "Closed after a while without input"
          : status.kind === "signed-out"
            ? "Sign in again to open the console"
            : "";

  return (
    <div className="flex flex-col gap-3">
      <div role="toolbar" aria-label="Console" className="flex flex-wrap items-center gap-2">
        <Button variant="secondary" size="sm" disabled={!connected} onClick={() => rfbRef.current?.sendCtrlAltDel()}>
          Ctrl-Alt-Del
        </Button>
        <Button variant="secondary" size="sm" disabled={!connected} onClick={() => void pasteClipboard()}>
          Paste as keys
        </Button>
        <Button variant="secondary" size="sm" disabled={!connected} onClick={() => setPasteOpen((o) => !o)} aria-expanded={pasteOpen}>
          Type text…
        </Button>
        <Button variant="secondary" size="sm" onClick={() => void frameRef.current?.requestFullscreen?.()}>
          Fullscreen
        </Button>
        <label className="inline-flex items-center gap-1.5 text-sm text-slate-700">
          <input type="checkbox" checked={scale} onChange={(e) => setScale(e.target.checked)} />
          Scale to window
        </label>
        <Button
          variant={connected ? "secondary" : "primary"}
          size="sm"
          onClick={() => {
            setStatus({ kind: "connecting" });
            void connect();
          }}
          disabled={status.kind === "connecting"}
        >
          Reconnect
        </Button>
        {!fromLink && (
          <Link href={`/instances/${instanceId}/console`} target="_blank" className="text-sm font-medium text-brand-700 hover:underline">
            Open in new tab
          </Link>
        )}
      </div>
      {pasteOpen && (
        <form
          className="flex flex-wrap items-center gap-2"
          onSubmit={(e) => {
            e.preventDefault();
            typeText(pasteText);
            setPasteText("");
            setPasteOpen(false);
          }}
        >
          <label className="sr-only" htmlFor="console-paste">
            Text to type into the console
          </label>
          <input
            id="console-paste"
            value={pasteText}
            onChange={(e) => setPasteText(e.target.value)}
            placeholder="Text to type into the VM"
            className="h-8 min-w-72 rounded-md px-2 text-sm ring-1 ring-slate-300 ring-inset"
          />
          <Button type="submit" size="sm" disabled={!connected || !pasteText}>
            Type it
          </Button>
        </form>
      )}
      <p
        role="status"
        aria-live="polite"
        data-testid="console-status"
        data-status={status.kind}
        className="flex items-center gap-2 text-sm text-slate-600"
      >
        <Badge tone={view.tone}>{view.label}</Badge>
        <span>{detail}</span>
      </p>
      <div ref={frameRef} className="overflow-hidden rounded-lg bg-slate-900">
        <div ref={screenRef} data-testid="console-screen" className="h-[min(72vh,900px)] w-full" />
      </div>
    </div>
  );
}
