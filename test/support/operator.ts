/** Runs the operator as its own process against the test control plane, as it runs in production. */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { freePort } from '../../hack/control-plane.js';
import { eventually } from './cluster.js';

export interface OperatorProcess {
  process: ChildProcess;
  healthUrl: string;
  logFile: string;
  /** Log lines parsed as JSON. */
  logs(): Record<string, unknown>[];
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  /** The Prometheus text of /metrics. */
  metrics(): Promise<string>;
  /** Whether /metrics says this process holds the leader lease. */
  isLeader(): Promise<boolean>;
}

export interface OperatorOptions {
  kubeconfig: string;
  logDir: string;
  name?: string;
  args?: string[];
  env?: NodeJS.ProcessEnv;
  /** Lease to elect a leader on; by default one of its own, so this process leads at once. */
  leaseName?: string;
}

/** Where the test operators keep their leases. */
export const LEASE_NAMESPACE = 'default';

/** The bundle, as the image runs it (hack/bundle.ts). */
const cli = resolve('dist/bundle/appnetpol.js');

/** Starts the operator and waits until its caches are synced (/readyz), whether it leads or follows. */
export async function startOperator(options: OperatorOptions): Promise<OperatorProcess> {
  const port = await freePort();
  const logFile = join(options.logDir, `operator-${options.name ?? 'main'}-${port}.log`);
  const log = createWriteStream(logFile);
  const child = spawn(
    process.execPath,
    [
      cli,
      'controller',
      '--kubeconfig',
      options.kubeconfig,
      '--health-address',
      `127.0.0.1:${port}`,
      '--resync-seconds',
      '30',
      '--leader-election-namespace',
      LEASE_NAMESPACE,
      '--leader-election-name',
      options.leaseName ?? `appnetpol-test-${randomBytes(4).toString('hex')}`,
      ...(options.args ?? []),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...options.env } },
  );
  child.stdout!.pipe(log);
  child.stderr!.pipe(log);
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const healthUrl = `http://127.0.0.1:${port}`;
  await eventually(async () => {
    if (child.exitCode !== null) throw new Error(`operator exited with ${child.exitCode}; log: ${logFile}`);
    const response = await fetch(`${healthUrl}/readyz`);
    if (response.status !== 200) throw new Error(`operator not ready (${response.status}); log: ${logFile}`);
  }, 60_000);
  const metrics = async () => (await fetch(`${healthUrl}/metrics`)).text();
  return {
    process: child,
    healthUrl,
    logFile,
    logs: () =>
      readFileSync(logFile, 'utf8')
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>),
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode === null) child.kill(signal);
      return exited;
    },
    metrics,
    isLeader: async () => /^leader_election_master_status\{name="[^"]+"\} 1$/m.test(await metrics()),
  };
}

/** An operator that is started again whenever it exits, as the kubelet restarts a container. */
export interface SupervisedOperator {
  /** The process running now. */
  readonly current: OperatorProcess;
  /** Exits that were not asked for, and so restarts. */
  readonly restarts: number;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export async function startSupervisedOperator(options: OperatorOptions & { leaseName: string }): Promise<SupervisedOperator> {
  let current = await startOperator(options);
  let restarts = 0;
  let stopping = false;
  const watch = (operator: OperatorProcess) =>
    operator.process.once('exit', async () => {
      if (stopping) return;
      restarts++;
      for (;;) {
        try {
          current = await startOperator(options);
          watch(current);
          return;
        } catch {
          // Not ready yet (the API server may still be down): try again, as the kubelet would.
          if (stopping) return;
        }
      }
    });
  watch(current);
  return {
    get current() {
      return current;
    },
    get restarts() {
      return restarts;
    },
    stop: async (signal) => {
      stopping = true;
      await current.stop(signal);
    },
  };
}
