/** Bytes arriving in chunks, read back in exact lengths (for RFB handshakes over TCP or WebSocket). */
export class ByteQueue {
  private buf: Buffer = Buffer.alloc(0);
  private waiter: { n: number; resolve: (b: Buffer) => void; reject: (e: Error) => void } | null = null;
  private error: Error | null = null;

  push(chunk: Buffer) {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    this.wake();
  }

  /** Fails the pending and every later read (the stream closed). */
  fail(e: Error) {
    this.error ??= e;
    const w = this.waiter;
    this.waiter = null;
    w?.reject(this.error);
  }

  read(n: number): Promise<Buffer> {
    if (this.waiter) return Promise.reject(new Error("ByteQueue: one read at a time"));
    return new Promise((resolve, reject) => {
      this.waiter = { n, resolve, reject };
      this.wake();
    });
  }

  /** Everything buffered, leaving the queue empty. */
  drain(): Buffer {
    const b = this.buf;
    this.buf = Buffer.alloc(0);
    return b;
  }

  private wake() {
    const w = this.waiter;
    if (!w) return;
    if (this.buf.length >= w.n) {
      this.waiter = null;
      const out = Buffer.from(this.buf.subarray(0, w.n));
      this.buf = this.buf.subarray(w.n);
      w.resolve(out);
    } else if (this.error) {
      this.waiter = null;
      w.reject(this.error);
    }
  }
}
