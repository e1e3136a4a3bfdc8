/** Events against the real API server: repeats are held back, but only once an event was actually sent or could never be. */
import { expect, it } from '@jest/globals';
import { randomBytes, randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { EventRecorder } from '../../src/runtime/events.js';
import { createLogger } from '../../src/runtime/logger.js';
import type { KubeObject } from '../../src/runtime/kube-client.js';
import { testCluster } from '../support/cluster.js';

const { admin } = testCluster();

it('an event that could not be sent goes out on the next try instead of being held back as a repeat', async () => {
  const lines: { msg: string; err?: string }[] = [];
  const sink = new Writable({ write: (chunk: Buffer, _encoding, done) => (lines.push(JSON.parse(chunk.toString())), done()) });
  const recorder = new EventRecorder(admin, pino(sink));
  // Its namespace does not exist yet, so the API server refuses the event, as it would any write during an outage.
  const namespace = `events-${randomBytes(3).toString('hex')}`;
  const object: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'probe', namespace, uid: randomUUID() } };
  await recorder.record(object, 'Warning', 'Probe', 'something to notice');
  expect(lines).toEqual([expect.objectContaining({ msg: 'could not record event', err: expect.objectContaining({ message: `namespaces "${namespace}" not found` }) })]);

  await admin.create('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
  await recorder.record(object, 'Warning', 'Probe', 'something to notice');
  await recorder.record(object, 'Warning', 'Probe', 'something to notice');
  const events = await admin.list<KubeObject & { reason?: string }>(`/api/v1/namespaces/${namespace}/events`);
  expect(events.items.map((event) => event.reason)).toEqual(['Probe']);
});

it('an event for an object whose namespace is being deleted is dropped quietly, not retried with a warning each time', async () => {
  const lines: { level: string; msg: string }[] = [];
  const sink = new Writable({ write: (chunk: Buffer, _encoding, done) => (lines.push(JSON.parse(chunk.toString())), done()) });
  const recorder = new EventRecorder(admin, createLogger('debug', sink));
  const namespace = `events-${randomBytes(3).toString('hex')}`;
  // A finalizer of the test's own keeps the namespace Terminating until the test lets it go.
  await admin.create('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace, finalizers: ['appnetpol.test/hold'] } });
  await admin.delete(`/api/v1/namespaces/${namespace}`);
  try {
    const object: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'probe', namespace, uid: randomUUID() } };
    await recorder.record(object, 'Warning', 'Probe', 'something to notice');
    await recorder.record(object, 'Warning', 'Probe', 'something to notice');
    expect(lines.map((line) => [line.level, line.msg])).toEqual([['debug', 'event not recorded: its namespace is being deleted']]);
  } finally {
    await admin.mergePatch(`/api/v1/namespaces/${namespace}`, { metadata: { finalizers: null } });
  }
});
