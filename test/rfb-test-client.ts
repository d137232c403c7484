import net from "node:net";
import { ByteQueue } from "@/server/console/byte-queue";
import { upstreamHandshake } from "@/server/console/rfb-handshake";

/**
 * A minimal RFB client for tests (over TCP or a WebSocket): handshake, ServerInit, Raw updates
 * into an RGBA framebuffer, key/pointer/clipboard messages. Expects a 32-bpp true-colour format.
 */
export interface Transport {
  queue: ByteQueue;
  // Function-typed properties: transports are plain objects of closures, so passing t.write along is safe.
  write: (b: Buffer) => void;
  close: () => void;
  closed: Promise<void>;
}

export function tcpTransport(port: number, host = "127.0.0.1"): Transport {
  const sock = net.connect({ host, port });
  const queue = new ByteQueue();
  sock.on("data", (d: Buffer) => queue.push(d));
  const closed = new Promise<void>((resolve) =>
    sock.on("close", () => {
      queue.fail(new Error("connection closed"));
      resolve();
    }),
  );
  sock.on("error", (e) => queue.fail(e));
  return { queue, write: (b) => sock.write(b), close: () => sock.destroy(), closed };
}

export class RfbTestClient {
  width = 0;
  height = 0;
  name = "";
  rgba = new Uint8Array(0);
  /** Bytes per pixel of the negotiated format. */
  bpp = 4;
  private shifts = { r: 16, g: 8, b: 0 };

  private constructor(readonly t: Transport) {}

  /** Connects and runs the handshake up to ServerInit (password: VNC authentication). */
  static async open(t: Transport, password?: string): Promise<RfbTestClient> {
    const c = new RfbTestClient(t);
    await upstreamHandshake(t.queue, t.write, password);
    t.write(Buffer.from([1])); // ClientInit, shared
    const init = await t.queue.read(24);
    c.width = init.readUInt16BE(0);
    c.height = init.readUInt16BE(2);
    c.bpp = init.readUInt8(4) / 8;
    c.shifts = { r: init.readUInt8(14), g: init.readUInt8(15), b: init.readUInt8(16) };
    c.name = (await t.queue.read(init.readUInt32BE(20))).toString("utf8");
    c.rgba = new Uint8Array(c.width * c.height * 4);
    return c;
  }

  setPixelFormat32(shifts: { r: number; g: number; b: number }) {
    const m = Buffer.alloc(20);
    m[0] = 0;
    m.writeUInt8(32, 4);
    m.writeUInt8(24, 5);
    m.writeUInt8(0, 6);
    m.writeUInt8(1, 7);
    m.writeUInt16BE(255, 8);
    m.writeUInt16BE(255, 10);
    m.writeUInt16BE(255, 12);
    m.writeUInt8(shifts.r, 14);
    m.writeUInt8(shifts.g, 15);
    m.writeUInt8(shifts.b, 16);
    this.t.write(m);
    this.shifts = shifts;
  }

  requestUpdate(incremental: boolean) {
    const m = Buffer.alloc(10);
    m[0] = 3;
    m[1] = incremental ? 1 : 0;
    m.writeUInt16BE(this.width, 6);
    m.writeUInt16BE(this.height, 8);
    this.t.write(m);
  }

  /** Reads one FramebufferUpdate; returns its rectangles. */
  async readUpdate(): Promise<{ x: number; y: number; w: number; h: number; bytes: number }[]> {
    const head = await this.t.queue.read(4);
    if (head[0] !== 0) throw new Error(`expected FramebufferUpdate, got message type ${head[0]}`);
    const rects = [];
    for (let i = head.readUInt16BE(2); i > 0; i--) {
      const r = await this.t.queue.read(12);
      const x = r.readUInt16BE(0);
      const y = r.readUInt16BE(2);
      const w = r.readUInt16BE(4);
      const h = r.readUInt16BE(6);
      if (r.readInt32BE(8) !== 0) throw new Error("expected Raw encoding");
      const data = await this.t.queue.read(w * h * this.bpp);
      if (this.bpp === 4)
        for (let yy = 0; yy < h; yy++)
          for (let xx = 0; xx < w; xx++) {
            const v = data.readUInt32LE((yy * w + xx) * 4);
            const o = ((y + yy) * this.width + x + xx) * 4;
            this.rgba[o] = (v >>> this.shifts.r) & 255;
            this.rgba[o + 1] = (v >>> this.shifts.g) & 255;
            this.rgba[o + 2] = (v >>> this.shifts.b) & 255;
            this.rgba[o + 3] = 255;
          }
      rects.push({ x, y, w, h, bytes: data.length });
    }
    return rects;
  }

  key(keysym: number, down = true) {
    const m = Buffer.alloc(8);
    m[0] = 4;
    m[1] = down ? 1 : 0;
    m.writeUInt32BE(keysym, 4);
    this.t.write(m);
  }

  /** Presses and releases each character (printable ASCII) and then Enter if asked. */
  type(text: string, enter = false) {
    for (const ch of text) {
      this.key(ch.charCodeAt(0), true);
      this.key(ch.charCodeAt(0), false);
    }
    if (enter) {
      this.key(0xff0d, true);
      this.key(0xff0d, false);
    }
  }

  pointer(x: number, y: number, buttons: number) {
    const m = Buffer.alloc(6);
    m[0] = 5;
    m[1] = buttons;
    m.writeUInt16BE(x, 2);
    m.writeUInt16BE(y, 4);
    this.t.write(m);
  }

  cutText(text: string) {
    const b = Buffer.from(text, "latin1");
    const m = Buffer.alloc(8);
    m[0] = 6;
    m.writeUInt32BE(b.length, 4);
    this.t.write(Buffer.concat([m, b]));
  }

  /** Whether `mask` (from textMask) is drawn at (x, y): "on" pixels differ from the background, "off" ones match it. */
  showsText(mask: boolean[][], x: number, y: number, background: readonly [number, number, number]): boolean {
    return maskMatches(this.rgba, this.width, mask, x, y, background);
  }

  close() {
    this.t.close();
  }
}

export function maskMatches(
  rgba: Uint8Array | Uint8ClampedArray,
  width: number,
  mask: boolean[][],
  x: number,
  y: number,
  bg: readonly [number, number, number],
) {
  for (let dy = 0; dy < mask.length; dy++)
    for (let dx = 0; dx < mask[dy]!.length; dx++) {
      const o = ((y + dy) * width + x + dx) * 4;
      const isBg = rgba[o] === bg[0] && rgba[o + 1] === bg[1] && rgba[o + 2] === bg[2];
      if (mask[dy]![dx] === isBg) return false;
    }
  return true;
}
