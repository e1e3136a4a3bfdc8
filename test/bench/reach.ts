/**
 * `npm run bench:reach`: the reachability engine at scale, offline. A generated cluster of Spaces that
 * deny app traffic, Kf Apps and AppNetworkPolicies (rendered into NetworkPolicies as `render` does):
 * - `appnetpol reach -A -f FILE` as a user runs it (a process, YAML parsing included), wall time;
 * - the same in-process, split into reading and planning, and computing the matrix;
 * - the Reachable condition of every AppNetworkPolicy, one full pass (what re-evaluating all costs).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { readManifests } from '../../src/cli/reachability.js';
import { reachableCondition } from '../../src/planner/reachable.js';
import { reachMatrix } from '../../src/reachability/matrix.js';
import { ClusterSnapshot } from '../../src/reachability/snapshot.js';

const { values } = parseArgs({
  options: {
    apps: { type: 'string', default: '1000' },
    policies: { type: 'string', default: '10000' },
    spaces: { type: 'string', default: '50' },
    seed: { type: 'string', default: '1' },
  },
});
const apps = Number(values.apps);
const policies = Number(values.policies);
const spaces = Number(values.spaces);

/** A small deterministic generator, so runs compare. */
let state = Number(values.seed);
const random = (n: number) => {
  state = (state * 1103515245 + 12345) % 2 ** 31;
  return state % n;
};

const spaceOf = (app: number) => `space-${app % spaces}`;
const PORTS = [5080, 5555, 8080, 9090, 6379];

function manifests(): object[] {
  const objects: object[] = [];
  for (let s = 0; s < spaces; s++) {
    objects.push({ apiVersion: 'kf.dev/v1alpha1', kind: 'Space', metadata: { name: `space-${s}` }, spec: { networkConfig: { appNetworkPolicy: { ingress: 'DenyAll', egress: 'DenyAll' } } } });
  }
  for (let a = 0; a < apps; a++) {
    objects.push({ apiVersion: 'kf.dev/v1alpha1', kind: 'App', metadata: { name: `app-${a}`, namespace: spaceOf(a) }, spec: { template: { spec: { containers: [{ ports: [{ containerPort: PORTS[a % PORTS.length] }] }] } } } });
  }
  // Flows between random apps anywhere, each declared by both halves (an egress rule on the sender and
  // an ingress rule on the receiver), except every tenth, declared by the sender only.
  const policy = (app: number, name: string, direction: 'ingress' | 'egress', peer: number, port: number) => ({
    apiVersion: 'networking.kf.dev/v1alpha1',
    kind: 'AppNetworkPolicy',
    metadata: { name, namespace: spaceOf(app) },
    spec: { app: `app-${app}`, [direction]: [{ [direction === 'ingress' ? 'from' : 'to']: [{ app: `app-${peer}`, space: spaceOf(peer) }], ports: [{ protocol: 'TCP', port }] }] },
  });
  for (let flow = 0, written = 0; written < policies; flow++) {
    const from = random(apps);
    const to = (from + 1 + random(apps - 1)) % apps;
    const port = PORTS[to % PORTS.length];
    objects.push(policy(from, `flow-${flow}-out`, 'egress', to, port));
    written++;
    if (flow % 10 === 0 || written === policies) continue;
    objects.push(policy(to, `flow-${flow}-in`, 'ingress', from, port));
    written++;
  }
  return objects;
}

const seconds = (since: bigint) => Number(process.hrtime.bigint() - since) / 1e9;

const dir = mkdtempSync(join(tmpdir(), 'appnetpol-reach-bench-'));
const file = join(dir, 'cluster.yaml');
writeFileSync(file, manifests().map((o) => stringify(o)).join('---\n'));

let started = process.hrtime.bigint();
const cli = spawnSync(process.execPath, ['dist/src/cli/appnetpol.js', 'reach', '-A', '-f', file], { encoding: 'utf8', maxBuffer: 1024 ** 3 });
const cliSeconds = seconds(started);
if (cli.status !== 0) throw new Error(`reach failed: ${cli.stderr}`);

started = process.hrtime.bigint();
const input = readManifests([file], (f) => readFileSync(f, 'utf8'), () => {});
const snapshot = new ClusterSnapshot(input);
const readSeconds = seconds(started);
started = process.hrtime.bigint();
const matrix = reachMatrix(snapshot, snapshot.appList());
const matrixSeconds = seconds(started);

started = process.hrtime.bigint();
const statuses = new Map<string, number>();
for (const policy of input.appNetworkPolicies) {
  const status = reachableCondition(policy, snapshot, 1).status;
  statuses.set(status, (statuses.get(status) ?? 0) + 1);
}
const reachableSeconds = seconds(started);

console.log(`| apps | NetworkPolicies | reach -A (process) s | read + plan s | matrix s | flows allowed | Reachable, all policies s | Reachable results |`);
console.log(`|---|---|---|---|---|---|---|---|`);
const allowed = matrix.flows.filter((f) => f.ports === 'all' || f.ports.length).length;
console.log(
  `| ${apps} | ${input.networkPolicies.length} | ${cliSeconds.toFixed(1)} | ${readSeconds.toFixed(1)} | ${matrixSeconds.toFixed(1)} | ${allowed} of ${matrix.flows.length} | ${reachableSeconds.toFixed(2)} | ${JSON.stringify(Object.fromEntries(statuses))} |`,
);
