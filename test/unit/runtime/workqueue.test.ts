import { describe, expect, it } from '@jest/globals';
import { WorkQueue } from '../../../src/runtime/workqueue.js';

const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));
/** Waits until `done` holds (a loaded machine runs timers late; the assertions then say what is wrong). */
async function until(done: () => boolean, timeoutMs = 5000): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; !done() && Date.now() < deadline; ) await tick(5);
}

describe('WorkQueue', () => {
  it('processes a key added several times while queued once', async () => {
    const queue = new WorkQueue({ concurrency: 1 });
    const seen: string[] = [];
    queue.add('a');
    queue.add('a');
    queue.add('b');
    queue.start(async (key) => void seen.push(key));
    await tick(10);
    expect(seen).toEqual(['a', 'b']);
  });

  it('runs a key again when it is added while being processed, never twice at once', async () => {
    const queue = new WorkQueue({ concurrency: 4 });
    let running = 0;
    let maxRunning = 0;
    let runs = 0;
    queue.start(async () => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      runs++;
      if (runs === 1) queue.add('k');
      await tick(5);
      running--;
    });
    queue.add('k');
    await until(() => runs === 2 && running === 0);
    await tick(10);
    expect(runs).toBe(2);
    expect(maxRunning).toBe(1);
  });

  it('takes keys of changed objects before keys a resync added, and moves a waiting key ahead when its object changes', async () => {
    const queue = new WorkQueue({ concurrency: 1 });
    const seen: string[] = [];
    for (const key of ['r1', 'r2', 'r3']) queue.add(key, 'resync');
    queue.add('c1');
    queue.add('r3');
    queue.add('c2', 'resync');
    queue.add('c2');
    expect(queue.length).toBe(5);
    queue.start(async (key) => void seen.push(key));
    await tick(10);
    expect(seen).toEqual(['c1', 'r3', 'c2', 'r1', 'r2']);
    expect(queue.length).toBe(0);
  });

  it('lets I/O in between reconciles that need no request, so a change is not held back by a resync', async () => {
    const queue = new WorkQueue({ concurrency: 2, yieldEveryMs: 0 });
    const seen: string[] = [];
    for (let i = 0; i < 1000; i++) queue.add(`r${i}`, 'resync');
    queue.start(async (key) => void seen.push(key));
    setImmediate(() => queue.add('changed'));
    await until(() => seen.length === 1001);
    expect(seen).toHaveLength(1001);
    expect(seen.indexOf('changed')).toBeLessThan(10);
  });

  it('gives reconciles of resync keys at most a quarter of the time, and takes a change at once meanwhile', async () => {
    const queue = new WorkQueue({ concurrency: 4 });
    const busyFor = (ms: number) => {
      const end = performance.now() + ms;
      while (performance.now() < end);
    };
    const ranAt = new Map<string, number>();
    for (let i = 0; i < 40; i++) queue.add(`r${i}`, 'resync');
    const started = performance.now();
    queue.start(async (key) => {
      if (key.startsWith('r')) busyFor(1);
      ranAt.set(key, performance.now());
    });
    await until(() => ranAt.size >= 10);
    const changedAt = performance.now();
    queue.add('changed');
    await until(() => ranAt.size === 41);
    const elapsed = performance.now() - started;
    // 40 ms of resync work at a quarter of the time takes at least 150 ms; without the share, about 40.
    expect(elapsed).toBeGreaterThan(150);
    expect(ranAt.get('changed')! - changedAt).toBeLessThan(20);
  });

  it('bounds concurrency', async () => {
    const queue = new WorkQueue({ concurrency: 2 });
    let running = 0;
    let maxRunning = 0;
    queue.start(async () => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      await tick(5);
      running--;
    });
    for (let i = 0; i < 10; i++) queue.add(`k${i}`);
    await until(() => queue.length === 0 && running === 0);
    expect(maxRunning).toBe(2);
  });

  it('retries a failing key with growing backoff, and forgets failures after a success', async () => {
    const queue = new WorkQueue({ concurrency: 1, baseBackoffMs: 10, maxBackoffMs: 1000 });
    const times: number[] = [];
    queue.start(async () => {
      times.push(Date.now());
      if (times.length < 4) throw new Error('boom');
    });
    queue.add('k');
    await until(() => times.length >= 4);
    await tick(20);
    expect(times).toHaveLength(4);
    const gaps = times.slice(1).map((t, i) => t - times[i]);
    expect(gaps[0]).toBeGreaterThanOrEqual(9);
    expect(gaps[1]).toBeGreaterThanOrEqual(19);
    expect(gaps[2]).toBeGreaterThanOrEqual(39);
  });

  it('finishes in-flight work on shutdown and takes no more', async () => {
    const queue = new WorkQueue({ concurrency: 1 });
    const done: string[] = [];
    queue.start(async (key) => {
      await tick(20);
      done.push(key);
    });
    queue.add('first');
    queue.add('second');
    await tick(1);
    await queue.shutdown();
    queue.add('third');
    await tick(30);
    expect(done).toEqual(['first']);
  });
});
