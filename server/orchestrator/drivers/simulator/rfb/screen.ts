import { GLYPH_HEIGHT, GLYPH_WIDTH, glyph } from "./font";

/**
 * The text screen of a simulated VM: a banner, the VM's name, state and uptime, a line of pointer
 * and clipboard status, and a tiny terminal that echoes the keys typed. Drawn into an RGBA
 * framebuffer; every pixel row remembers the version that last changed it, so an RFB server can
 * send just the rows a client has not seen.
 */
export const SCALE = 2;
export const CELL_W = (GLYPH_WIDTH + 1) * SCALE;
export const CELL_H = (GLYPH_HEIGHT + 2) * SCALE;
export const COLS = 60;
export const ROWS = 22;
export const MARGIN = 0;
export const SCREEN_WIDTH = COLS * CELL_W;
export const SCREEN_HEIGHT = ROWS * CELL_H;

export type Rgb = readonly [number, number, number];
export const BACKGROUND: Rgb = [16, 32, 64];
const TEXT: Rgb = [224, 232, 240];
const BANNER: Rgb = [120, 220, 140];
const DIM: Rgb = [150, 170, 200];

/** Text rows of the layout. */
export const ROW = { banner: 0, name: 2, host: 3, state: 4, input: 5, terminal: 7 } as const;

export interface ScreenInfo {
  displayName: string;
  internalName: string;
  hostName: string;
  state: string;
  startedAt: Date | null;
}

const KEYSYM = { backspace: 0xff08, tab: 0xff09, enter: 0xff0d, kpEnter: 0xff8d, delete: 0xffff, kpDelete: 0xff9f } as const;
const CONTROL = new Set([0xffe3, 0xffe4]);
const ALT = new Set([0xffe9, 0xffea, 0xff7e, 0xfe03]);

/** Which pixels of a text line are "on" (true), as the screen draws it: for tests that look for text. */
export function textMask(text: string): boolean[][] {
  const rows: boolean[][] = Array.from({ length: CELL_H }, () => new Array<boolean>(text.length * CELL_W).fill(false));
  [...text].forEach((ch, i) => {
    const g = glyph(ch);
    for (let gy = 0; gy < GLYPH_HEIGHT; gy++)
      for (let gx = 0; gx < GLYPH_WIDTH; gx++) {
        if (!((g[gy]! >> (GLYPH_WIDTH - 1 - gx)) & 1)) continue;
        for (let sy = 0; sy < SCALE; sy++)
          for (let sx = 0; sx < SCALE; sx++) rows[SCALE + gy * SCALE + sy]![i * CELL_W + gx * SCALE + sx] = true;
      }
  });
  return rows;
}

export const formatUptime = (seconds: number) => {
  const s = Math.max(0, Math.floor(seconds));
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${pad(Math.floor(s / 3600))}:${pad(Math.floor((s % 3600) / 60))}:${pad(s % 60)}`;
};

export class TextScreen {
  readonly width = SCREEN_WIDTH;
  readonly height = SCREEN_HEIGHT;
  readonly rgba = new Uint8Array(SCREEN_WIDTH * SCREEN_HEIGHT * 4);
  /** The version that last changed each pixel row. */
  readonly rowVersion = new Uint32Array(SCREEN_HEIGHT);
  version = 1;
  private lines: string[] = new Array<string>(ROWS).fill("");
  private terminal: string[] = [];
  private current = "";
  private ctrl = false;
  private alt = false;
  private listeners = new Set<() => void>();
  private pointerText = "Pointer: -";
  private clipText = "";
  private keyCount = 0;

  constructor(private info: ScreenInfo) {
    for (let i = 0; i < this.rgba.length; i += 4) {
      this.rgba[i] = BACKGROUND[0];
      this.rgba[i + 1] = BACKGROUND[1];
      this.rgba[i + 2] = BACKGROUND[2];
      this.rgba[i + 3] = 255;
    }
    this.rowVersion.fill(1);
    this.setLine(ROW.banner, "Stratus simulated console", BANNER);
    this.setLine(1, "-".repeat(COLS), DIM);
    this.setLine(6, "-".repeat(COLS), DIM);
    this.redrawInfo();
    this.redrawTerminal();
  }

  onChange(cb: () => void): () => void {
    this.listeners.add(cb);
    return () => this.listeners.delete(cb);
  }

  /** Updates name, state and start time; also refreshes the uptime. */
  update(info: Partial<ScreenInfo>) {
    this.info = { ...this.info, ...info };
    this.redrawInfo();
  }

  get typedKeys() {
    return this.keyCount;
  }

  key(keysym: number, down: boolean) {
    if (CONTROL.has(keysym)) this.ctrl = down;
    else if (ALT.has(keysym)) this.alt = down;
    if (!down) return;
    this.keyCount++;
    if ((keysym === KEYSYM.delete || keysym === KEYSYM.kpDelete) && this.ctrl && this.alt) {
      this.print("[Ctrl-Alt-Del received: the simulator does not reboot]");
    } else if (keysym === KEYSYM.enter || keysym === KEYSYM.kpEnter) {
      const cmd = this.current;
      this.print(`$ ${cmd}`);
      if (cmd.trim()) this.print(`you typed: ${cmd}`);
      this.current = "";
    } else if (keysym === KEYSYM.backspace) {
      this.current = this.current.slice(0, -1);
    } else if (keysym === KEYSYM.tab) {
      this.current += " ";
    } else if (keysym >= 0x20 && keysym <= 0x7e && !this.ctrl) {
      this.current += String.fromCharCode(keysym);
    } else if (keysym >= 0xa0 && keysym <= 0xff && !this.ctrl) {
      this.current += "?";
    } else {
      return;
    }
    this.current = this.current.slice(-(COLS - 3));
    this.redrawTerminal();
  }

  pointer(x: number, y: number, buttons: number) {
    this.pointerText = `Pointer: ${x},${y}${buttons ? ` buttons ${buttons}` : ""}`;
    this.redrawInput();
  }

  cutText(text: string) {
    this.clipText = `Clipboard: ${text.replace(/[^\x20-\x7e]/g, " ")}`;
    this.redrawInput();
  }

  private print(line: string) {
    for (let i = 0; i < line.length || i === 0; i += COLS) this.terminal.push(line.slice(i, i + COLS));
    const room = ROWS - ROW.terminal - 1;
    if (this.terminal.length > room) this.terminal = this.terminal.slice(-room);
  }

  private redrawInfo() {
    const i = this.info;
    const uptime = i.startedAt && i.state === "running" ? formatUptime((Date.now() - i.startedAt.getTime()) / 1000) : "-";
    this.setLine(ROW.name, `VM: ${i.displayName} (${i.internalName})`, TEXT);
    this.setLine(ROW.host, `Host: ${i.hostName}`, TEXT);
    this.setLine(ROW.state, `State: ${i.state}   Uptime: ${uptime}`, TEXT);
    this.redrawInput();
  }

  private redrawInput() {
    this.setLine(ROW.input, `${this.pointerText}  ${this.clipText}`.slice(0, COLS), DIM);
  }

  private redrawTerminal() {
    const room = ROWS - ROW.terminal - 1;
    for (let r = 0; r < room; r++) this.setLine(ROW.terminal + r, this.terminal[r] ?? "", TEXT);
    this.setLine(ROW.terminal + Math.min(this.terminal.length, room), `$ ${this.current}_`, BANNER);
  }

  /** Draws one text row if its text changed; bumps the version of its pixel rows. */
  private setLine(row: number, text: string, color: Rgb) {
    const t = text.slice(0, COLS);
    if (this.lines[row] === `${color.join()}|${t}`) return;
    this.lines[row] = `${color.join()}|${t}`;
    this.version++;
    const top = row * CELL_H;
    for (let y = top; y < top + CELL_H; y++) {
      for (let x = 0; x < this.width; x++) {
        const o = (y * this.width + x) * 4;
        this.rgba[o] = BACKGROUND[0];
        this.rgba[o + 1] = BACKGROUND[1];
        this.rgba[o + 2] = BACKGROUND[2];
      }
      this.rowVersion[y] = this.version;
    }
    const mask = textMask(t);
    for (let dy = 0; dy < CELL_H; dy++) {
      const line = mask[dy]!;
      for (let x = 0; x < line.length && x < this.width; x++) {
        if (!line[x]) continue;
        const o = ((top + dy) * this.width + x) * 4;
        this.rgba[o] = color[0];
        this.rgba[o + 1] = color[1];
        this.rgba[o + 2] = color[2];
      }
    }
    for (const cb of this.listeners) cb();
  }
}
