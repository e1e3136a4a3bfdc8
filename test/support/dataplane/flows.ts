/** Checks traffic the way a person reads it: a list of flows, each open or not, compared in one go. */
import { expect } from '@jest/globals';
import { eventually } from '../cluster.js';
import type { Dataplane, Endpoint, Peer, Protocol } from './dataplane.js';

export interface Flow {
  from: Endpoint;
  to: Peer;
  port: number;
  protocol?: Protocol;
}

export const flow = (from: Endpoint, to: Peer, port: number, protocol: Protocol = 'TCP'): Flow => ({ from, to, port, protocol });

const describeFlow = (f: Flow) => `${f.from.name} -> ${f.to.name} ${f.protocol ?? 'TCP'}/${f.port}`;

/** Each flow's description mapped to whether it opened, so a failure shows every flow that differs. */
export async function probeFlows(dataplane: Dataplane, flows: Flow[]): Promise<Record<string, 'open' | 'closed'>> {
  const results = await Promise.all(flows.map((f) => dataplane.connects(f.from, f.to, f.port, f.protocol)));
  return Object.fromEntries(flows.map((f, i) => [describeFlow(f), results[i] ? 'open' : 'closed']));
}

/**
 * Waits until exactly `open` open and every flow of `closed` does not. Callers first wait until the
 * policies are written, so what this waits for is the dataplane catching up with them.
 */
export async function expectFlows(dataplane: Dataplane, open: Flow[], closed: Flow[], timeoutMs = 30_000): Promise<void> {
  const expected = Object.fromEntries([...open.map((f) => [describeFlow(f), 'open']), ...closed.map((f) => [describeFlow(f), 'closed'])]);
  await eventually(async () => expect(await probeFlows(dataplane, [...open, ...closed])).toEqual(expected), timeoutMs, 100);
}
