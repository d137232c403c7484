import fs from "node:fs/promises";
import path from "node:path";
import { env } from "@/server/env";

/**
 * Where a secondary store keeps its files on this server: its directory, or for the simulator's
 * stores ("sim://name") a directory under the data directory, so a simulated cloud stores real
 * uploaded and downloaded images too.
 */
export function storeDirectory(store: { name: string; path: string }): string {
  const sim = /^sim:\/\/(.+)$/.exec(store.path);
  if (sim) return path.resolve(env().DATA_DIR, "secondary", sim[1]!.replace(/[^a-zA-Z0-9._-]/g, "_"));
  return path.resolve(store.path);
}

/**
 * A template's files on its store: the temporary file the bytes arrive in (renamed when checked),
 * the qcow2 a raw image is converted into, and the final image. Named by the template's id only,
 * so nothing a user types becomes a path.
 */
export function imageFiles(store: { name: string; path: string }, templateId: string, storedFormat: "qcow2" | "iso") {
  const dir = path.join(storeDirectory(store), "templates");
  return {
    dir,
    partial: path.join(dir, `.${templateId}.part`),
    converted: path.join(dir, `.${templateId}.qcow2.part`),
    final: path.join(dir, `${templateId}.${storedFormat}`),
  };
}

/** Removes every file of a template (partial, converted, final); missing ones are fine. */
export async function removeImageFiles(store: { name: string; path: string }, templateId: string) {
  const names = [imageFiles(store, templateId, "qcow2"), imageFiles(store, templateId, "iso")];
  await Promise.all(names.flatMap((n) => [n.partial, n.converted, n.final]).map((f) => fs.rm(f, { force: true })));
}
