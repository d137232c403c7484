/**
 * Sends a file to /api/uploads/<id> in chunks (browser side). Each chunk goes to the offset the
 * server holds: after a failed chunk (a cut connection, a server restart) it asks the server how
 * much arrived and carries on from there, a few times before giving up. The server checks the
 * image at the last byte and answers its final status.
 */
export const CHUNK_BYTES = 4 * 1024 * 1024;
const RETRIES = 5;

interface UploadState {
  status: "uploading" | "ready" | "error" | "downloading";
  received: number;
  size: number;
  error: string | null;
}

/** The server refused (not a broken connection): retrying the same bytes would not help. */
class Refused extends Error {}

async function answer(res: Response): Promise<UploadState & { offset?: number }> {
  const body = (await res.json().catch(() => ({}))) as Partial<UploadState> & { error?: string; offset?: number };
  if (!res.ok && res.status !== 409) throw new Refused(body.error ?? `The server answered ${res.status}`);
  return body as UploadState & { offset?: number };
}

export async function uploadInChunks(
  id: string,
  file: Blob,
  onProgress: (sent: number, total: number) => void,
  signal?: AbortSignal,
): Promise<UploadState> {
  const url = `/api/uploads/${encodeURIComponent(id)}`;
  let offset = (await answer(await fetch(url, { signal }))).received ?? 0;
  let failures = 0;
  onProgress(offset, file.size);
  for (;;) {
    const end = Math.min(offset + CHUNK_BYTES, file.size);
    try {
      const res = await fetch(`${url}?offset=${offset}`, {
        method: "PUT",
        headers: { "content-type": "application/octet-stream" },
        body: file.slice(offset, end),
        signal,
      });
      const state = await answer(res);
      if (res.status === 409 && state.offset !== undefined) {
        offset = state.offset; // the server holds a different amount: resume where it says
        continue;
      }
      if (state.status !== "uploading") {
        onProgress(file.size, file.size);
        return state;
      }
      offset = state.received;
      failures = 0;
      onProgress(offset, file.size);
    } catch (e) {
      if (e instanceof Refused || signal?.aborted || ++failures > RETRIES) throw e;
      await new Promise((r) => setTimeout(r, 500 * failures));
      // Ask how much arrived before the cut, and go on from there.
      offset = (await answer(await fetch(url, { signal }))).received ?? offset;
    }
  }
}
