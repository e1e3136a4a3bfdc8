/**
 * The API server misbehaves without going away: watches and requests cut off early, resource versions
 * compacted away under the operator's watches (410 Gone on every rewatch), and slow answers with some
 * connections hanging until the client's own timeout ends them. The operator, reaching the API server
 * through a fault-injecting proxy, must converge every time without a restart.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { chaosScale, reportFigures, seconds, startFaultRun, type FaultRun } from '../support/chaos.js';
import { changeEveryPolicy, converged } from '../support/convergence.js';
import { kubeconfigThrough, startFaultProxy, type FaultProxy } from '../support/fault-proxy.js';
import type { OperatorProcess } from '../support/operator.js';

const POLICIES = chaosScale(80, 2000);
const CONVERGE_MS = chaosScale(180_000, 600_000);
const HANGING_CONVERGE_MS = chaosScale(420_000, 900_000);
/** How long the faults act on the operator's connections and watches before the change is made. */
const FAULTS_FIRST_MS = chaosScale(10_000, 60_000);

let run: FaultRun;
let proxy: FaultProxy;
let operator: OperatorProcess;
let compactions = 0;
let compactor: NodeJS.Timeout;

/** Compacts etcd to its current revision through its HTTP gateway: every older resourceVersion is gone. */
async function compactEtcd(): Promise<void> {
  const etcd = new URL(run.plane.processes.etcd.readyUrl).origin;
  const post = async (path: string, body: unknown) => (await fetch(`${etcd}${path}`, { method: 'POST', body: JSON.stringify(body) })).json() as Promise<{ header?: { revision?: string } }>;
  const revision = (await post('/v3/kv/range', { key: Buffer.from('/').toString('base64') })).header?.revision;
  if (revision) {
    await post('/v3/kv/compaction', { revision });
    compactions++;
  }
}

const metric = async (name: string) =>
  [...(await operator.metrics()).matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\d+)$`, 'gm'))].reduce((sum, [, value]) => sum + Number(value), 0);

beforeAll(async () => {
  run = await startFaultRun('api-faults', POLICIES);
  const { plane } = run;
  proxy = await startFaultProxy(plane.server);
  operator = await run.startOperator('faults', { kubeconfig: kubeconfigThrough(proxy, plane, 'proxy') });
  await converged(run.admin, run.namespace, run.intended, CONVERGE_MS, operator);
}, 300_000);

afterAll(async () => {
  clearInterval(compactor);
  await run?.stop();
  await proxy?.close();
});

describe('API server faults', () => {
  it('connections cut after 1-8 s and etcd compacted every 3 s: a change to every policy converges without a restart', async () => {
    const restartsBefore = await metric('appnetpol_watch_restarts_total');
    proxy.faults = { closeAfterMs: [1000, 8000] };
    compactor = setInterval(() => void compactEtcd().catch(() => undefined), 3000);
    const cutBefore = proxy.counts.cut;
    await new Promise((r) => setTimeout(r, FAULTS_FIRST_MS));
    await changeEveryPolicy(run.admin, run.namespace, run.intended, 5001);
    const convergedMs = await converged(run.admin, run.namespace, run.intended, CONVERGE_MS, operator);
    clearInterval(compactor);
    proxy.faults = {};
    reportFigures('api-early-close-and-410', {
      policies: POLICIES,
      connectionsCut: proxy.counts.cut - cutBefore,
      compactions,
      watchRestarts: (await metric('appnetpol_watch_restarts_total')) - restartsBefore,
      faultsBeforeChangeSeconds: seconds(FAULTS_FIRST_MS),
      convergedSeconds: seconds(convergedMs),
      operatorExited: operator.process.exitCode !== null,
    });
    expect(operator.process.exitCode).toBeNull();
  }, 900_000);

  it('every chunk 100 ms late and a fifth of the connections hanging: a change to every policy converges without a restart', async () => {
    proxy.faults = { delayMs: 100, hangShare: 0.2 };
    const hungBefore = proxy.counts.hung;
    await new Promise((r) => setTimeout(r, FAULTS_FIRST_MS));
    await changeEveryPolicy(run.admin, run.namespace, run.intended, 5002);
    // A hung connection costs about 10 s before the client's check drops it, a watch on one 30 s of silence,
    // and failed writes back off in the work queue (up to 5 minutes): this run may take minutes to converge
    // even at its short size (docs/reliability.md).
    const convergedMs = await converged(run.admin, run.namespace, run.intended, HANGING_CONVERGE_MS, operator);
    proxy.faults = {};
    reportFigures('api-slow-and-hanging', {
      policies: POLICIES,
      connections: proxy.counts.connections,
      connectionsHung: proxy.counts.hung - hungBefore,
      convergedSeconds: seconds(convergedMs),
      operatorExited: operator.process.exitCode !== null,
    });
    expect(proxy.counts.hung - hungBefore).toBeGreaterThan(0);
    expect(operator.process.exitCode).toBeNull();
  }, 1_200_000);
});
