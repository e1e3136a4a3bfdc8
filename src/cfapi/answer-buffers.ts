/**
 * Buffers for list answers, lent to one response and reused once it has finished. A fresh buffer per
 * answer (~200 KiB for 200 GUIDs) is memory outside V8's heap that V8 still counts: at hundreds of
 * answers per second that sets off a full collection of the whole index every few seconds.
 */
import type { ServerResponse } from 'node:http';

/** Larger answers (a list of every policy) get a buffer of their own, so the pool stays small. */
const MAX_POOLED_BYTES = 1024 * 1024;
const MAX_FREE = 32;

export class AnswerBuffers {
  private readonly free: Buffer[] = [];

  /**
   * At least `size` bytes, not used elsewhere until `response` emits 'finish': the point at which all of
   * it has been handed to the operating system. A response that never finishes keeps its buffer.
   */
  lend(size: number, response: ServerResponse): Buffer {
    if (size > MAX_POOLED_BYTES) return Buffer.allocUnsafe(size);
    const at = this.free.findIndex((buffer) => buffer.length >= size);
    const buffer = at >= 0 ? this.free.splice(at, 1)[0] : Buffer.allocUnsafe(Math.min(MAX_POOLED_BYTES, Math.max(size, Math.ceil(size * 1.25))));
    response.once('finish', () => {
      if (this.free.length < MAX_FREE) this.free.push(buffer);
    });
    return buffer;
  }
}
