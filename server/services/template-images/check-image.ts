import fs from "node:fs/promises";
import { convertRawToQcow2, type ProbedImage, probeImage } from "@/server/orchestrator/drivers/images";
import type { ImageFormat } from "@/lib/validation/templates";
import { ImageError } from "./image-error";

async function info(file: string): Promise<ProbedImage> {
  try {
    return await probeImage(file);
  } catch (e) {
    throw new ImageError(`qemu-img cannot read the image: ${e instanceof Error ? e.message : String(e)}`);
  }
}

async function head(file: string, bytes: number, offset = 0): Promise<Buffer> {
  const fh = await fs.open(file, "r");
  try {
    const buf = Buffer.alloc(bytes);
    const { bytesRead } = await fh.read(buf, 0, bytes, offset);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

/** Text a web server sends instead of an image (an error page, a directory listing). */
const looksLikeText = (b: Buffer) => /^\s*(<!doctype|<html|<\?xml|\{|HTTP\/)/i.test(b.toString("latin1"));

export interface CheckedImage {
  /** What is stored: raw is converted to qcow2. */
  format: "qcow2" | "iso";
  virtualBytes: number;
}

/**
 * Checks what was downloaded or uploaded is the image its owner said (qemu-img probes the
 * format): a qcow2 without a backing or external data file (either would make the server read
 * some other file into a VM's disk), a raw disk (whole 512-byte sectors, not a web page) or an
 * ISO 9660 image. Raw images are converted to qcow2 into `convertedPath`.
 */
export async function checkImage(file: string, claimed: ImageFormat, convertedPath: string): Promise<CheckedImage> {
  const probed = await info(file);
  const { size } = await fs.stat(file);
  if (claimed === "qcow2") {
    if (probed.format !== "qcow2") throw new ImageError(`The file is not a qcow2 image (qemu-img sees ${probed.format})`);
    if (probed.backingFile) throw new ImageError("The qcow2 image has a backing file; flatten it (qemu-img convert) and register it again");
    if (probed.dataFile) throw new ImageError("The qcow2 image names an external data file, which is not allowed");
    return { format: "qcow2", virtualBytes: probed.virtualSize };
  }
  if (probed.format !== "raw") throw new ImageError(`The file is a ${probed.format} image, not ${claimed}`);
  if (claimed === "iso") {
    // ISO 9660: "CD001" at byte 32769 (the primary volume descriptor of sector 16).
    if ((await head(file, 5, 32769)).toString("latin1") !== "CD001") throw new ImageError("The file is not an ISO 9660 image");
    return { format: "iso", virtualBytes: size };
  }
  if (looksLikeText(await head(file, 64))) throw new ImageError("The file is a web page or text, not a disk image");
  if (size % 512 !== 0) throw new ImageError(`A raw disk image is whole 512-byte sectors; this file is ${size} bytes`);
  try {
    await convertRawToQcow2(file, convertedPath);
  } catch (e) {
    throw new ImageError(`Could not convert the raw image to qcow2: ${e instanceof Error ? e.message : String(e)}`);
  }
  return { format: "qcow2", virtualBytes: size };
}
