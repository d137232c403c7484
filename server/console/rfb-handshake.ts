import type { ByteQueue } from "./byte-queue";
import { vncAuthResponse } from "./vnc-des";

/**
 * The two RFB handshakes the console proxy terminates. Upstream it is the client of the VM's VNC
 * server (answering VNC authentication with the driver's password); towards the browser it is a
 * server offering security type None (the ticket and the session cookie already authenticated the
 * user). After both, ClientInit/ServerInit and everything else pass through unchanged.
 */
export class RfbHandshakeError extends Error {}

const VERSION = "RFB 003.008\n";

async function reasonOf(q: ByteQueue): Promise<string> {
  const len = (await q.read(4)).readUInt32BE(0);
  if (len > 4096) return "(reason too long)";
  return (await q.read(len)).toString("utf8");
}

/** Runs the client side of the security handshake against a VNC server; stops before ClientInit. */
export async function upstreamHandshake(q: ByteQueue, write: (b: Buffer) => void, password?: string): Promise<void> {
  const v = (await q.read(12)).toString("latin1");
  const m = /^RFB (\d{3})\.(\d{3})\n$/.exec(v);
  if (!m) throw new RfbHandshakeError("The VM's console did not answer with an RFB version");
  const minor = Number(m[1]) > 3 ? 8 : Number(m[2]);
  if (minor < 7) throw new RfbHandshakeError(`The VM's console speaks RFB ${v.trim()}; 3.7 or later is needed`);
  write(Buffer.from(minor >= 8 ? VERSION : "RFB 003.007\n"));
  const n = (await q.read(1))[0]!;
  if (n === 0) throw new RfbHandshakeError(`The VM's console refused the connection: ${await reasonOf(q)}`);
  const types = [...(await q.read(n))];
  const choice = password && types.includes(2) ? 2 : types.includes(1) ? 1 : types.includes(2) ? 2 : 0;
  if (!choice) throw new RfbHandshakeError(`The VM's console offers no supported security type (${types.join(", ")})`);
  if (choice === 2 && !password) throw new RfbHandshakeError("The VM's console wants a password the driver did not report");
  write(Buffer.from([choice]));
  if (choice === 2) write(vncAuthResponse(password!, await q.read(16)));
  if (choice === 1 && minor === 7) return; // 3.7 sends no SecurityResult for None
  const result = (await q.read(4)).readUInt32BE(0);
  if (result !== 0) throw new RfbHandshakeError(`The VM's console refused authentication${minor >= 8 ? `: ${await reasonOf(q)}` : ""}`);
}

/** Runs the server side towards the browser (RFB 3.8, security None); stops before ClientInit. */
export async function downstreamHandshake(q: ByteQueue, write: (b: Buffer) => void): Promise<void> {
  write(Buffer.from(VERSION));
  const v = (await q.read(12)).toString("latin1");
  if (v !== VERSION) throw new RfbHandshakeError(`The browser asked for ${JSON.stringify(v)}; only RFB 3.8 is offered`);
  write(Buffer.from([1, 1]));
  const choice = (await q.read(1))[0];
  if (choice !== 1) throw new RfbHandshakeError("The browser chose a security type that was not offered");
  write(Buffer.from([0, 0, 0, 0]));
}
