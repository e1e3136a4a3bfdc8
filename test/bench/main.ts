/**
 * `npm run bench`: the operator on a real local control plane at several scales, each on a fresh
 * control plane, then the @dot-i/k8s-operator peer at the first scale on one of its own.
 */
import { parseArgs } from 'node:util';
import { deploymentEnv, imageEnv, onFreshCluster, writeResults } from './harness.js';
import { formatResults, runScale, type BenchPlan, type BenchResult } from './run.js';
import { peerConvergence } from './scenarios.js';

const { values } = parseArgs({
  allowNegative: true,
  options: {
    sizes: { type: 'string', default: '1000,10000' },
    namespaces: { type: 'string', default: '100' },
    concurrency: { type: 'string', default: '8' },
    spaces: { type: 'string', default: '500' },
    peer: { type: 'boolean', default: true },
    'operator-heap-mib': { type: 'string' },
    /** Added to the operator's NODE_OPTIONS, for example `--cpu-prof --cpu-prof-dir=DIR` to see where its time goes. */
    'operator-node-options': { type: 'string', default: '' },
  },
});

const sizes = values.sizes.split(',').map(Number);
// The operator runs as the image and the Deployment run it (compile cache, heap cap, malloc arenas), unless told another heap cap.
const shipped = { ...imageEnv(), ...deploymentEnv('config/manager/controller.yaml', 'controller') };
const heapMiB = values['operator-heap-mib'];
const nodeOptions = shipped.NODE_OPTIONS ?? '';
const heapOptions = heapMiB ? `${nodeOptions.replace(/--max-old-space-size=\d+/, '')} --max-old-space-size=${heapMiB}` : nodeOptions;
const operatorEnv = { ...shipped, NODE_OPTIONS: `${heapOptions} ${values['operator-node-options']}`.trim() };
console.error(`bench: operator environment ${JSON.stringify(operatorEnv)}`);
const plan = (policies: number, first: boolean): BenchPlan => ({
  policies,
  operatorEnv,
  namespaces: Number(values.namespaces),
  concurrency: Number(values.concurrency),
  resyncSeconds: 30,
  churnRate: 20,
  churnSeconds: 30,
  spaces: first ? Number(values.spaces) : 0,
});

const results: BenchResult[] = [];
for (const [i, size] of sizes.entries()) {
  console.error(`bench: ${size} policies over ${values.namespaces} namespaces, concurrency ${values.concurrency}`);
  results.push(await onFreshCluster((cluster) => runScale(cluster, plan(size, i === 0), 'bench')));
  console.error(formatResults(results));
}
console.log(formatResults(results));

let peerResult: Record<string, number> | undefined;
if (values.peer) {
  const ours = results[0];
  const peer = await onFreshCluster((cluster) => peerConvergence(cluster, plan(sizes[0], false), 'peer'));
  console.log(`\n| ${sizes[0]} policies | converge s | peak RSS MiB |\n|---|---|---|`);
  console.log(`| appnetpol | ${ours.convergenceSeconds.toFixed(1)} | ${ours.peakRssMiB.toFixed(0)} |`);
  console.log(`| @dot-i/k8s-operator peer | ${peer.seconds.toFixed(1)} | ${peer.peakRssMiB.toFixed(0)} |`);
  console.log(`peer/appnetpol convergence time: ${(peer.seconds / ours.convergenceSeconds).toFixed(2)}`);
  peerResult = { ...peer, ratio: peer.seconds / ours.convergenceSeconds };
}
console.log(`results: ${writeResults('operator', { options: { ...values, operatorEnv }, scales: results, peer: peerResult })}`);
