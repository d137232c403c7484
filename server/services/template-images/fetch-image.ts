import { createHash, type Hash } from "node:crypto";
import { lookup } from "node:dns/promises";
import { createWriteStream } from "node:fs";
import http, { type IncomingMessage } from "node:http";
import https from "node:https";
import { isIP, type LookupFunction } from "node:net";
import { pipeline } from "node:stream/promises";
import { Transform } from "node:stream";
import { addressProblem } from "./address-policy";
import { ImageError } from "./image-error";
import type { ChecksumAlgorithm } from "@/lib/validation/templates";

export const MAX_REDIRECTS = 3;
/** No byte for this long: the server is given up on. */
const IDLE_TIMEOUT_MS = 30_000;

export interface FetchOptions {
  maxBytes: number;
  /** The digest to compute while the bytes stream in (the one the checksum names; sha256 by default). */
  algorithm: ChecksumAlgorithm;
  onProgress?: (received: number, total: number | null) => void;
  signal?: AbortSignal;
}

export interface Fetched {
  bytes: number;
  digest: string;
  /** The URL the image came from after redirects. */
  finalUrl: string;
}

/** Checks a URL's scheme, resolves its host and checks every address it has; returns the one to connect to. */
export async function checkedTarget(raw: string): Promise<{ url: URL; address: string; family: 4 | 6 }> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ImageError(`${raw} is not a URL`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:")
    throw new ImageError(`Only http and https URLs are allowed, not ${url.protocol}`);
  if (url.username || url.password) throw new ImageError("URLs with a user name or password are not allowed");
  // The WHATWG parser has already turned decimal, octal and hex IPv4 forms into dotted quads.
  const host = url.hostname.replace(/^\[|\]$/g, "");
  let addrs: { address: string; family: number }[];
  if (isIP(host)) addrs = [{ address: host, family: isIP(host) }];
  else {
    try {
      addrs = await lookup(host, { all: true, verbatim: true });
    } catch {
      throw new ImageError(`Cannot resolve ${host}`);
    }
  }
  if (addrs.length === 0) throw new ImageError(`Cannot resolve ${host}`);
  // Every address, not just the first: a name with one public and one private address is refused.
  for (const a of addrs) {
    const problem = addressProblem(a.address);
    if (problem) throw new ImageError(isIP(host) ? problem : `${host} resolves to ${problem}`);
  }
  return { url, address: addrs[0]!.address, family: addrs[0]!.family === 6 ? 6 : 4 };
}

/** One GET to the checked address (the name is never resolved again, so DNS rebinding cannot switch it). */
function get(target: { url: URL; address: string; family: 4 | 6 }, signal?: AbortSignal): Promise<IncomingMessage> {
  const pinned: LookupFunction = (_host, opts, cb) => {
    if ((opts as { all?: boolean }).all) (cb as (e: null, a: { address: string; family: number }[]) => void)(null, [target]);
    else cb(null, target.address, target.family);
  };
  const mod = target.url.protocol === "https:" ? https : http;
  return new Promise((resolve, reject) => {
    const req = mod.request(
      target.url,
      { method: "GET", lookup: pinned, signal, headers: { "user-agent": "Stratus template fetcher", accept: "*/*" } },
      resolve,
    );
    req.setTimeout(IDLE_TIMEOUT_MS, () =>
      req.destroy(new ImageError(`${target.url.host} did not answer within ${IDLE_TIMEOUT_MS / 1000} s`)),
    );
    req.on("error", (e) =>
      reject(e instanceof ImageError ? e : new ImageError(`Could not download from ${target.url.host}: ${e.message}`)),
    );
    req.end();
  });
}

const human = (n: number) => (n >= 1024 ** 3 ? `${(n / 1024 ** 3).toFixed(1)} GiB` : `${Math.ceil(n / 1024 ** 2)} MiB`);

/**
 * Downloads `rawUrl` into `dest` (a temporary file the caller renames when everything checks out):
 * http or https only, at most MAX_REDIRECTS redirects, each hop's address checked, at most
 * `maxBytes` (refused on Content-Length, cut off when a body without one grows past it), hashed as
 * it streams.
 */
export async function fetchImage(rawUrl: string, dest: string, opts: FetchOptions): Promise<Fetched> {
  let current = rawUrl;
  for (let hop = 0; ; hop++) {
    const target = await checkedTarget(current);
    const res = await get(target, opts.signal);
    const status = res.statusCode ?? 0;
    if ([301, 302, 303, 307, 308].includes(status)) {
      res.resume();
      const location = res.headers.location;
      if (!location) throw new ImageError(`${target.url.host} answered ${status} without a Location`);
      if (hop >= MAX_REDIRECTS) throw new ImageError(`More than ${MAX_REDIRECTS} redirects`);
      current = new URL(location, target.url).toString();
      continue;
    }
    if (status < 200 || status >= 300) {
      res.resume();
      throw new ImageError(`${target.url.host} answered ${status} ${res.statusMessage ?? ""}`.trim());
    }
    const length = res.headers["content-length"] ? Number(res.headers["content-length"]) : null;
    if (length !== null && length > opts.maxBytes) {
      res.destroy();
      throw new ImageError(`The image is ${human(length)}, more than the ${human(opts.maxBytes)} allowed`);
    }
    const hash: Hash = createHash(opts.algorithm);
    let received = 0;
    let lastReport = 0;
    const meter = new Transform({
      transform(chunk: Buffer, _enc, done) {
        received += chunk.length;
        if (received > opts.maxBytes) return done(new ImageError(`The image is larger than the ${human(opts.maxBytes)} allowed`));
        hash.update(chunk);
        const now = Date.now();
        if (opts.onProgress && now - lastReport > 500) {
          lastReport = now;
          opts.onProgress(received, length);
        }
        done(null, chunk);
      },
    });
    try {
      await pipeline(res, meter, createWriteStream(dest, { mode: 0o640 }));
    } catch (e) {
      if (e instanceof ImageError) throw e;
      throw new ImageError(`The download from ${target.url.host} broke off: ${e instanceof Error ? e.message : String(e)}`);
    }
    if (length !== null && received !== length) throw new ImageError(`The download ended after ${received} of ${length} bytes`);
    opts.onProgress?.(received, length);
    return { bytes: received, digest: hash.digest("hex"), finalUrl: target.url.toString() };
  }
}
