import net from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { ByteQueue } from "@/server/console/byte-queue";
import { RfbTestClient, tcpTransport } from "@/test/rfb-test-client";
import { desEncryptBlock, vncAuthResponse } from "@/server/console/vnc-des";
import { SimulatorConsoles, type VmTruth } from "./consoles";
import { fontCharacters, glyph } from "./font";
import { BACKGROUND, CELL_H, ROW, SCREEN_HEIGHT, SCREEN_WIDTH, TextScreen, formatUptime, textMask } from "./screen";
import { RfbServer, SERVER_PIXEL_FORMAT, encodePixels } from "./server";

const info = {
  displayName: "web-01",
  internalName: "i-42",
  hostName: "sim-host-1",
  state: "running",
  startedAt: new Date(Date.now() - 65_000),
};
const servers: RfbServer[] = [];
const clients: RfbTestClient[] = [];

async function serve(password?: string) {
  const screen = new TextScreen(info);
  const server = new RfbServer(screen, { name: "web-01 (i-42)", password });
  servers.push(server);
  return { screen, server, port: await server.listen() };
}

async function open(port: number, password?: string) {
  const c = await RfbTestClient.open(tcpTransport(port), password);
  clients.push(c);
  return c;
}

/** Raw bytes from a fresh TCP connection, for the refusal paths. */
function raw(port: number) {
  const sock = net.connect({ port, host: "127.0.0.1" });
  const q = new ByteQueue();
  sock.on("data", (d: Buffer) => q.push(d));
  const closed = new Promise<void>((r) => sock.on("close", () => r()));
  sock.on("error", () => undefined);
  return { q, write: (b: Buffer | string) => sock.write(b), closed, sock };
}

const textAt = (c: RfbTestClient, row: number, text: string) => c.showsText(textMask(text), 0, row * CELL_H, BACKGROUND);

afterEach(() => {
  clients.splice(0).forEach((c) => c.close());
  servers.splice(0).forEach((s) => s.close());
});

describe("VNC DES", () => {
  it("matches the DES reference vectors", () => {
    const h = (s: string) => Buffer.from(s, "hex");
    expect(desEncryptBlock(h("133457799BBCDFF1"), h("0123456789ABCDEF")).toString("hex")).toBe("85e813540f0ab405");
    expect(desEncryptBlock(h("0E329232EA6D0D73"), h("8787878787878787")).toString("hex")).toBe("0000000000000000");
  });

  it("answers a challenge with the bit-reversed password as key, both halves alike", () => {
    const challenge = Buffer.alloc(16, 7);
    const r = vncAuthResponse("secret", challenge);
    expect(r).toHaveLength(16);
    expect(r.subarray(0, 8)).toEqual(r.subarray(8)); // equal halves in, equal halves out (ECB)
    expect(vncAuthResponse("secret", challenge)).toEqual(r);
    expect(vncAuthResponse("secres", challenge)).not.toEqual(r);
    // Only the first 8 characters count (as in every VNC server).
    expect(vncAuthResponse("12345678-ignored", challenge)).toEqual(vncAuthResponse("12345678", challenge));
  });
});

describe("font and screen", () => {
  it("has a distinct 5×7 glyph for every printable ASCII character", () => {
    expect(fontCharacters()).toHaveLength(95);
    const seen = new Map<string, string>();
    for (const ch of fontCharacters()) {
      const g = glyph(ch);
      expect(g).toHaveLength(7);
      expect(g.every((row) => row >= 0 && row < 32)).toBe(true);
      const key = g.join(",");
      expect(seen.get(key), `${ch} looks like ${seen.get(key)}`).toBeUndefined();
      seen.set(key, ch);
    }
  });

  it("formats uptime", () => {
    expect(formatUptime(0)).toBe("00:00:00");
    expect(formatUptime(3725)).toBe("01:02:05");
  });
});

describe("RFB server", () => {
  it("completes the 3.8 handshake with VNC authentication and sends ServerInit", async () => {
    const { port } = await serve("pa55word");
    const c = await open(port, "pa55word");
    expect([c.width, c.height]).toEqual([SCREEN_WIDTH, SCREEN_HEIGHT]);
    expect(c.name).toBe("web-01 (i-42)");
    expect(c.bpp).toBe(4);
  });

  it("refuses a wrong password with a reason", async () => {
    const { port } = await serve("pa55word");
    await expect(RfbTestClient.open(tcpTransport(port), "wrong")).rejects.toThrow(/refused authentication: Authentication failed/);
  });

  it("offers None when no password is set", async () => {
    const { port } = await serve();
    const r = raw(port);
    expect((await r.q.read(12)).toString()).toBe("RFB 003.008\n");
    r.write("RFB 003.008\n");
    expect([...(await r.q.read(2))]).toEqual([1, 1]);
    r.write(Buffer.from([1]));
    expect([...(await r.q.read(4))]).toEqual([0, 0, 0, 0]);
    r.sock.destroy();
  });

  it("refuses other protocol versions and security types it did not offer", async () => {
    const { port } = await serve("pa55word");
    const old = raw(port);
    await old.q.read(12);
    old.write("RFB 003.003\n");
    expect((await old.q.read(1))[0]).toBe(0);
    const len = (await old.q.read(4)).readUInt32BE(0);
    expect((await old.q.read(len)).toString()).toMatch(/3\.8 only/);
    await old.closed;

    const none = raw(port);
    await none.q.read(12);
    none.write("RFB 003.008\n");
    expect([...(await none.q.read(2))]).toEqual([1, 2]);
    none.write(Buffer.from([1])); // None, though only VNC auth was offered
    expect((await none.q.read(4)).readUInt32BE(0)).toBe(1);
    await none.closed;
  });

  it("sends the whole screen on a full request: the banner, the VM name and its uptime", async () => {
    const { port } = await serve();
    const c = await open(port);
    c.requestUpdate(false);
    const rects = await c.readUpdate();
    expect(rects.reduce((n, r) => n + r.h, 0)).toBe(SCREEN_HEIGHT);
    expect(textAt(c, ROW.banner, "Stratus simulated console")).toBe(true);
    expect(textAt(c, ROW.name, "VM: web-01 (i-42)")).toBe(true);
    expect(textAt(c, ROW.host, "Host: sim-host-1")).toBe(true);
    expect(textAt(c, ROW.name, "VM: web-02 (i-42)")).toBe(false);
    // Uptime is about 65 s.
    const shown = ["00:01:05", "00:01:06", "00:01:07"].some((u) => textAt(c, ROW.state, `State: running   Uptime: ${u}`));
    expect(shown).toBe(true);
  });

  it("answers an incremental request only when something changed, with just the changed rows", async () => {
    const { port } = await serve();
    const c = await open(port);
    c.requestUpdate(false);
    await c.readUpdate();
    c.requestUpdate(true);
    // Nothing changes: no answer yet.
    const pending = c.readUpdate();
    const early = await Promise.race([pending.then(() => "update"), new Promise((r) => setTimeout(() => r("waiting"), 300))]);
    expect(early).toBe("waiting");
    c.type("l");
    // The pending request is answered now, with only the terminal's prompt row.
    const row = ROW.terminal * CELL_H;
    let rects = await pending;
    expect(rects).toEqual([{ x: 0, y: row, w: SCREEN_WIDTH, h: CELL_H, bytes: SCREEN_WIDTH * CELL_H * 4 }]);
    c.type("s -l");
    // Keep reading until the prompt shows the typed text.
    for (let i = 0; i < 5 && !textAt(c, ROW.terminal, "$ ls -l_"); i++) {
      c.requestUpdate(true);
      rects = await c.readUpdate();
    }
    expect(textAt(c, ROW.terminal, "$ ls -l_")).toBe(true);
    c.type("", true);
    for (let i = 0; i < 5 && !textAt(c, ROW.terminal + 1, "you typed: ls -l"); i++) {
      c.requestUpdate(true);
      await c.readUpdate();
    }
    expect(textAt(c, ROW.terminal, "$ ls -l")).toBe(true);
    expect(textAt(c, ROW.terminal + 1, "you typed: ls -l")).toBe(true);
    expect(textAt(c, ROW.terminal + 2, "$ _")).toBe(true);
  });

  it("handles backspace, Ctrl-Alt-Del, pointer events and client cut text", async () => {
    const { screen, port } = await serve();
    const c = await open(port);
    c.type("abX");
    c.key(0xff08);
    c.type("c", true);
    c.key(0xffe3);
    c.key(0xffe9);
    c.key(0xffff);
    c.pointer(120, 45, 1);
    c.cutText("hello clipboard");
    await new Promise((r) => setTimeout(r, 100));
    c.requestUpdate(false);
    await c.readUpdate();
    expect(textAt(c, ROW.terminal + 1, "you typed: abc")).toBe(true);
    expect(textAt(c, ROW.terminal + 2, "[Ctrl-Alt-Del received: the simulator does not reboot]")).toBe(true);
    expect(textAt(c, ROW.input, "Pointer: 120,45 buttons 1  Clipboard: hello clipboard")).toBe(true);
    expect(screen.typedKeys).toBeGreaterThan(5);
  });

  it("honours SetPixelFormat (byte order by shifts; 16-bpp sizes)", async () => {
    const { port } = await serve();
    const c = await open(port);
    c.setPixelFormat32({ r: 0, g: 8, b: 16 });
    c.requestUpdate(false);
    await c.readUpdate();
    const bg = [c.rgba[0], c.rgba[1], c.rgba[2]];
    expect(bg).toEqual([...BACKGROUND]);
    const rgba = new Uint8Array([255, 0, 0, 255, 0, 255, 0, 255, 0, 0, 255, 255]);
    const rgb565 = encodePixels(
      rgba,
      3,
      { x: 0, y: 0, w: 3, h: 1 },
      {
        ...SERVER_PIXEL_FORMAT,
        bitsPerPixel: 16,
        depth: 16,
        redMax: 31,
        greenMax: 63,
        blueMax: 31,
        redShift: 11,
        greenShift: 5,
        blueShift: 0,
      },
    );
    expect([rgb565.readUInt16LE(0), rgb565.readUInt16LE(2), rgb565.readUInt16LE(4)]).toEqual([0xf800, 0x07e0, 0x001f]);
    const be = encodePixels(rgba, 3, { x: 0, y: 0, w: 1, h: 1 }, { ...SERVER_PIXEL_FORMAT, bigEndian: true });
    expect([...be]).toEqual([0, 255, 0, 0]);
  });

  it("closes a client that sends an unknown message, and every client on close()", async () => {
    const { server, port } = await serve();
    const bad = await open(port);
    bad.t.write(Buffer.from([99, 0, 0, 0]));
    await bad.t.closed;
    const good = await open(port);
    expect(server.clientCount).toBe(1);
    server.close();
    await good.t.closed;
    expect(server.clientCount).toBe(0);
  });
});

describe("simulator consoles", () => {
  it("starts a console for a running VM, and stops it (disconnecting clients) when the VM stops", async () => {
    let truth: VmTruth = { state: "running", startedAt: new Date() };
    const consoles = new SimulatorConsoles(() => Promise.resolve(truth), 50);
    const a = await consoles.endpoint("h1", "i-1", { displayName: "a", internalName: "i-1", hostName: "h" });
    const again = await consoles.endpoint("h1", "i-1", { displayName: "a", internalName: "i-1", hostName: "h" });
    expect(again).toEqual(a);
    expect(a.password).toHaveLength(8);
    const c = await open(a.port, a.password);
    expect(c.name).toBe("a (i-1)");
    truth = { state: "stopped", startedAt: null };
    await c.t.closed;
    expect(consoles.size).toBe(0);
    await expect(consoles.endpoint("h1", "i-1", { displayName: "a", internalName: "i-1", hostName: "h" })).rejects.toThrow(/not running/);
    truth = null;
    await expect(consoles.endpoint("h1", "i-2", { displayName: "b", internalName: "i-2", hostName: "h" })).rejects.toThrow(/not running/);
    consoles.stopAll();
  });

  it("starts one server for concurrent first requests", async () => {
    const consoles = new SimulatorConsoles(() => Promise.resolve({ state: "running", startedAt: new Date() }), 1000);
    const info2 = { displayName: "x", internalName: "i-9", hostName: "h" };
    const [p1, p2] = await Promise.all([consoles.endpoint("h", "i-9", info2), consoles.endpoint("h", "i-9", info2)]);
    expect(p1.port).toBe(p2.port);
    expect(consoles.size).toBe(1);
    consoles.stopAll();
  });
});
