import { randomBytes, timingSafeEqual } from "node:crypto";
import net from "node:net";
import { vncAuthResponse } from "@/server/console/vnc-des";
import type { TextScreen } from "./screen";

/**
 * A small RFB 3.8 (VNC) server for one simulated VM's screen: the subset noVNC and other clients
 * need. Version handshake, security None (or VNC authentication when a password is set),
 * ClientInit/ServerInit, SetPixelFormat (true colour, 8/16/32 bpp, either byte order),
 * SetEncodings (Raw is always used), FramebufferUpdateRequest (incremental updates carry only
 * changed rows and wait for a change), KeyEvent, PointerEvent and ClientCutText.
 * Listens on 127.0.0.1 only: the console proxy is its one intended client.
 */
export interface PixelFormat {
  bitsPerPixel: number;
  depth: number;
  bigEndian: boolean;
  trueColour: boolean;
  redMax: number;
  greenMax: number;
  blueMax: number;
  redShift: number;
  greenShift: number;
  blueShift: number;
}

export const SERVER_PIXEL_FORMAT: PixelFormat = {
  bitsPerPixel: 32,
  depth: 24,
  bigEndian: false,
  trueColour: true,
  redMax: 255,
  greenMax: 255,
  blueMax: 255,
  redShift: 16,
  greenShift: 8,
  blueShift: 0,
};

export const encodePixelFormat = (pf: PixelFormat) => {
  const b = Buffer.alloc(16);
  b.writeUInt8(pf.bitsPerPixel, 0);
  b.writeUInt8(pf.depth, 1);
  b.writeUInt8(pf.bigEndian ? 1 : 0, 2);
  b.writeUInt8(pf.trueColour ? 1 : 0, 3);
  b.writeUInt16BE(pf.redMax, 4);
  b.writeUInt16BE(pf.greenMax, 6);
  b.writeUInt16BE(pf.blueMax, 8);
  b.writeUInt8(pf.redShift, 10);
  b.writeUInt8(pf.greenShift, 11);
  b.writeUInt8(pf.blueShift, 12);
  return b;
};

export const decodePixelFormat = (b: Buffer): PixelFormat => ({
  bitsPerPixel: b.readUInt8(0),
  depth: b.readUInt8(1),
  bigEndian: b.readUInt8(2) !== 0,
  trueColour: b.readUInt8(3) !== 0,
  redMax: b.readUInt16BE(4),
  greenMax: b.readUInt16BE(6),
  blueMax: b.readUInt16BE(8),
  redShift: b.readUInt8(10),
  greenShift: b.readUInt8(11),
  blueShift: b.readUInt8(12),
});

interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

type Phase = "version" | "security" | "auth" | "init" | "normal" | "closed";

const MAX_CUT_TEXT = 1 << 20;

/** One client connection's state machine. */
class RfbConnection {
  private buf: Buffer = Buffer.alloc(0);
  private phase: Phase = "version";
  private pf: PixelFormat = SERVER_PIXEL_FORMAT;
  private challenge: Buffer | null = null;
  private pending: (Rect & { incremental: boolean }) | null = null;
  /** The screen version this client has seen (0: nothing yet). */
  private seen = 0;
  private flushScheduled = false;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly socket: net.Socket,
    private readonly screen: TextScreen,
    private readonly opts: { name: string; password?: string },
    private readonly onClose: () => void,
  ) {
    socket.setNoDelay(true);
    socket.on("data", (d: Buffer) => {
      this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
      try {
        this.parse();
      } catch (e) {
        this.fail(e instanceof Error ? e.message : String(e));
      }
    });
    socket.on("close", () => this.closed());
    socket.on("error", () => this.closed());
    this.unsubscribe = screen.onChange(() => this.scheduleFlush());
    socket.write("RFB 003.008\n");
  }

  close() {
    this.socket.destroy();
    this.closed();
  }

  private closed() {
    if (this.phase === "closed") return;
    this.phase = "closed";
    this.unsubscribe();
    this.onClose();
  }

  private fail(reason: string) {
    if (this.phase === "closed") return;
    this.socket.end();
    this.socket.destroy();
    this.closed();
    void reason;
  }

  private take(n: number): Buffer | null {
    if (this.buf.length < n) return null;
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    return out;
  }

  private failure(reason: string) {
    const r = Buffer.from(reason, "utf8");
    const len = Buffer.alloc(4);
    len.writeUInt32BE(r.length);
    return Buffer.concat([len, r]);
  }

  private parse() {
    for (;;) {
      switch (this.phase) {
        case "version": {
          const v = this.take(12);
          if (!v) return;
          const s = v.toString("latin1");
          if (!/^RFB 003\.00[378]\n$/.test(s)) return this.fail("bad version");
          if (s !== "RFB 003.008\n") {
            // Only 3.8 is spoken here: zero security types and a reason (RFB 7.1.2).
            this.socket.end(Buffer.concat([Buffer.from([0]), this.failure("This server speaks RFB 3.8 only")]));
            return this.fail("old version");
          }
          this.socket.write(Buffer.from([1, this.opts.password ? 2 : 1]));
          this.phase = "security";
          break;
        }
        case "security": {
          const t = this.take(1);
          if (!t) return;
          const wanted = this.opts.password ? 2 : 1;
          if (t[0] !== wanted) {
            this.socket.end(Buffer.concat([Buffer.from([0, 0, 0, 1]), this.failure("Security type not offered")]));
            return this.fail("security type");
          }
          if (wanted === 2) {
            this.challenge = randomBytes(16);
            this.socket.write(this.challenge);
            this.phase = "auth";
          } else {
            this.socket.write(Buffer.from([0, 0, 0, 0]));
            this.phase = "init";
          }
          break;
        }
        case "auth": {
          const r = this.take(16);
          if (!r) return;
          const expected = vncAuthResponse(this.opts.password!, this.challenge!);
          if (!timingSafeEqual(r, expected)) {
            this.socket.end(Buffer.concat([Buffer.from([0, 0, 0, 1]), this.failure("Authentication failed")]));
            return this.fail("auth");
          }
          this.socket.write(Buffer.from([0, 0, 0, 0]));
          this.phase = "init";
          break;
        }
        case "init": {
          if (!this.take(1)) return; // shared flag: every client shares the screen
          const name = Buffer.from(this.opts.name, "utf8");
          const head = Buffer.alloc(4);
          head.writeUInt16BE(this.screen.width, 0);
          head.writeUInt16BE(this.screen.height, 2);
          const nameLen = Buffer.alloc(4);
          nameLen.writeUInt32BE(name.length);
          this.socket.write(Buffer.concat([head, encodePixelFormat(SERVER_PIXEL_FORMAT), nameLen, name]));
          this.phase = "normal";
          break;
        }
        case "normal":
          if (!this.message()) return;
          break;
        case "closed":
          return;
      }
    }
  }

  /** Handles one client message; false when more bytes are needed. */
  private message(): boolean {
    if (this.buf.length < 1) return false;
    const type = this.buf[0]!;
    switch (type) {
      case 0: {
        const m = this.take(20);
        if (!m) return false;
        const pf = decodePixelFormat(m.subarray(4, 20));
        if (!pf.trueColour || ![8, 16, 32].includes(pf.bitsPerPixel))
          throw new Error("Only true-colour pixel formats of 8, 16 or 32 bpp are supported");
        this.pf = pf;
        this.seen = 0; // the next update must be complete in the new format
        return true;
      }
      case 2: {
        if (this.buf.length < 4) return false;
        const n = this.buf.readUInt16BE(2);
        return !!this.take(4 + 4 * n); // Raw is always used (every client must accept it)
      }
      case 3: {
        const m = this.take(10);
        if (!m) return false;
        const incremental = m[1] !== 0;
        this.pending = { incremental, x: m.readUInt16BE(2), y: m.readUInt16BE(4), w: m.readUInt16BE(6), h: m.readUInt16BE(8) };
        if (!incremental) this.seen = 0;
        this.flush();
        return true;
      }
      case 4: {
        const m = this.take(8);
        if (!m) return false;
        this.screen.key(m.readUInt32BE(4), m[1] !== 0);
        return true;
      }
      case 5: {
        const m = this.take(6);
        if (!m) return false;
        this.screen.pointer(m.readUInt16BE(2), m.readUInt16BE(4), m[1]!);
        return true;
      }
      case 6: {
        if (this.buf.length < 8) return false;
        const raw = this.buf.readInt32BE(4);
        const len = Math.abs(raw);
        if (len > MAX_CUT_TEXT) throw new Error("Clipboard text too long");
        const m = this.take(8 + len);
        if (!m) return false;
        if (raw >= 0) this.screen.cutText(m.subarray(8).toString("latin1"));
        return true;
      }
      default:
        throw new Error(`Unsupported client message type ${type}`);
    }
  }

  private scheduleFlush() {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    queueMicrotask(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }

  /** Answers the pending update request if there is something the client has not seen. */
  private flush() {
    const req = this.pending;
    if (!req || this.phase !== "normal") return;
    const s = this.screen;
    const x0 = Math.min(req.x, s.width);
    const y0 = Math.min(req.y, s.height);
    const x1 = Math.min(req.x + req.w, s.width);
    const y1 = Math.min(req.y + req.h, s.height);
    if (x1 <= x0 || y1 <= y0) {
      // An empty region: answer with an empty update so the client is not left waiting.
      this.pending = null;
      this.socket.write(Buffer.from([0, 0, 0, 0]));
      return;
    }
    const rects: Rect[] = [];
    let bandStart = -1;
    for (let y = y0; y <= y1; y++) {
      const changed = y < y1 && s.rowVersion[y]! > this.seen;
      if (changed && bandStart < 0) bandStart = y;
      if (!changed && bandStart >= 0) {
        rects.push({ x: x0, y: bandStart, w: x1 - x0, h: y - bandStart });
        bandStart = -1;
      }
    }
    if (rects.length === 0) return; // nothing new: answer when the screen changes
    this.pending = null;
    this.seen = s.version;
    const parts: Buffer[] = [];
    const head = Buffer.alloc(4);
    head.writeUInt8(0, 0);
    head.writeUInt16BE(rects.length, 2);
    parts.push(head);
    for (const r of rects) {
      const rh = Buffer.alloc(12);
      rh.writeUInt16BE(r.x, 0);
      rh.writeUInt16BE(r.y, 2);
      rh.writeUInt16BE(r.w, 4);
      rh.writeUInt16BE(r.h, 6);
      rh.writeInt32BE(0, 8); // Raw
      parts.push(rh, encodePixels(s.rgba, s.width, r, this.pf));
    }
    this.socket.write(Buffer.concat(parts));
  }
}

/** Raw pixel data of `r` from an RGBA framebuffer, in the client's pixel format. */
export function encodePixels(rgba: Uint8Array, width: number, r: Rect, pf: PixelFormat): Buffer {
  const bpp = pf.bitsPerPixel / 8;
  const out = Buffer.alloc(r.w * r.h * bpp);
  let o = 0;
  for (let y = r.y; y < r.y + r.h; y++) {
    for (let x = r.x; x < r.x + r.w; x++) {
      const i = (y * width + x) * 4;
      const v =
        ((Math.round((rgba[i]! * pf.redMax) / 255) << pf.redShift) |
          (Math.round((rgba[i + 1]! * pf.greenMax) / 255) << pf.greenShift) |
          (Math.round((rgba[i + 2]! * pf.blueMax) / 255) << pf.blueShift)) >>>
        0;
      if (bpp === 4) {
        if (pf.bigEndian) out.writeUInt32BE(v, o);
        else out.writeUInt32LE(v, o);
      } else if (bpp === 2) {
        if (pf.bigEndian) out.writeUInt16BE(v & 0xffff, o);
        else out.writeUInt16LE(v & 0xffff, o);
      } else out.writeUInt8(v & 0xff, o);
      o += bpp;
    }
  }
  return out;
}

export class RfbServer {
  private server: net.Server | null = null;
  private readonly connections = new Set<RfbConnection>();

  constructor(
    readonly screen: TextScreen,
    private readonly opts: { name: string; password?: string },
  ) {}

  get clientCount() {
    return this.connections.size;
  }

  /** Starts listening on 127.0.0.1 at an ephemeral port; returns the port. */
  async listen(): Promise<number> {
    const server = net.createServer((socket) => {
      const c: RfbConnection = new RfbConnection(socket, this.screen, this.opts, () => this.connections.delete(c));
      this.connections.add(c);
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => resolve());
    });
    return (server.address() as net.AddressInfo).port;
  }

  /** Stops listening and disconnects every client. */
  close() {
    this.server?.close();
    this.server = null;
    for (const c of [...this.connections]) c.close();
  }
}
