import { qemuImg } from "./libvirt/run";

export type ImageFormat = "qcow2" | "raw";

export interface ImageInfo {
  /** The disk's size as the guest sees it, in bytes. */
  virtualSize: number;
  /** The file this image reads through to, if any (templates must have none). */
  backingFile: string | null;
}

/**
 * Reads a disk image's header (qemu-img info, which never writes and, with -U, takes no lock), for
 * template registration on the Stratus server. Throws qemu-img's own words when the file is not
 * an image of that format. Services inspect images through here, not through a driver's runner.
 */
export async function inspectImage(file: string, format: ImageFormat, opts: { timeoutMs?: number } = {}): Promise<ImageInfo> {
  const out = (await qemuImg(["info", "-U", "-f", format, "--output=json", "--", file], { timeoutMs: opts.timeoutMs ?? 60_000 })).stdout;
  const j = JSON.parse(out) as { "virtual-size": number; "backing-filename"?: string };
  return { virtualSize: j["virtual-size"], backingFile: j["backing-filename"] ?? null };
}

export interface ProbedImage extends ImageInfo {
  /** What qemu-img recognises the file as (qcow2, raw for anything it does not know, vmdk, …). */
  format: string;
  /** A qcow2's external data file, if it names one (templates must not). */
  dataFile: string | null;
}

/**
 * Probes an untrusted file's format (no -f: qemu-img recognises it) and, for a qcow2, what it reads
 * through to. qemu-img info does not open backing files, so a hostile header cannot make it read one.
 */
export async function probeImage(file: string, opts: { timeoutMs?: number } = {}): Promise<ProbedImage> {
  const out = (await qemuImg(["info", "-U", "--output=json", "--", file], { timeoutMs: opts.timeoutMs ?? 60_000 })).stdout;
  const j = JSON.parse(out) as {
    format: string;
    "virtual-size": number;
    "backing-filename"?: string;
    "format-specific"?: { data?: { "data-file"?: string } };
  };
  return {
    format: j.format,
    virtualSize: j["virtual-size"],
    backingFile: j["backing-filename"] ?? null,
    dataFile: j["format-specific"]?.data?.["data-file"] ?? null,
  };
}

/** Converts a raw image into a new qcow2 file (sparse: zero blocks take no room). */
export async function convertRawToQcow2(from: string, to: string, opts: { timeoutMs?: number } = {}) {
  await qemuImg(["convert", "-f", "raw", "-O", "qcow2", "--", from, to], { timeoutMs: opts.timeoutMs ?? 3_600_000 });
}
