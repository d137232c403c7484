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
