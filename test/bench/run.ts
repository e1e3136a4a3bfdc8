/** One benchmark run at one scale: every scenario in order, on one control plane. */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { peakRssMiB, type BenchCluster } from './harness.js';
import { churnLatency, coldConvergence, idleWrites, ownStatusCeiling, spacesToDenyAll, writeCeiling, type ScaleOptions } from './scenarios.js';

export interface BenchPlan extends ScaleOptions {
  churnRate: number;
  churnSeconds: number;
  spaces: number;
}

export interface BenchResult {
  policies: number;
  ceilingSeconds: number;
  /** The ceiling plus the same client's N status writes: both writes a Ready policy needs. */
  ceilingWithStatusSeconds: number;
  /** The ceiling plus the same client writing the operator's own statuses (eight conditions) instead. */
  ceilingWithOwnStatusSeconds: number;
  convergenceSeconds: number;
  /** From starting the operator's process to its first status write (start-up, cache sync, first reconcile). */
  firstStatusSeconds: number;
  /** Time the operator spent on the Reachable condition while converging. */
  reachableSeconds: number;
  ratio: number;
  ratioWithStatus: number;
  ratioWithOwnStatus: number;
  /** Writes per policy while converging, by verb and resource (two is the least: the NetworkPolicy and the status). */
  convergenceWritesPerPolicy: Record<string, number>;
  /** AppNetworkPolicy reconciles per policy while converging (one is the least). */
  reconcilesPerPolicy: number;
  /** The operator's CPU time while converging, per policy: what it takes from the API server on shared cores. */
  cpuMsPerPolicy: number;
  /** The API server's and etcd's CPU time per policy: for the ceiling with the operator's status, and while the operator converged. */
  controlPlaneCpuMsPerPolicy: { ceilingWithOwnStatus: number; operator: number };
  /** The benchmark process's CPU time per policy: the plain client's writes in that ceiling, the watches that see the operator converge. */
  benchCpuMsPerPolicy: { ceilingWithOwnStatus: number; operator: number };
  idleWrites: Record<string, number>;
  churn: { p50: number; p99: number; updates: number };
  peakRssMiB: number;
  /** V8 heap in use at convergence (`nodejs_heap_size_used_bytes`). */
  heapUsedMiB: number;
  spacesDenyAllSeconds?: number;
}

export async function runScale(cluster: BenchCluster, plan: BenchPlan, prefix: string): Promise<BenchResult> {
  const logDir = join(cluster.plane.dir, 'logs');
  mkdirSync(logDir, { recursive: true });
  const ceiling = await writeCeiling(cluster, plan, prefix);
  const ceilingSeconds = ceiling.seconds;
  const converged = await coldConvergence(cluster, plan, prefix, logDir);
  let measured: Omit<BenchResult, 'ceilingWithOwnStatusSeconds' | 'ratioWithOwnStatus' | 'controlPlaneCpuMsPerPolicy' | 'benchCpuMsPerPolicy'>;
  try {
    const idle = await idleWrites(cluster, plan);
    const churn = await churnLatency(cluster, converged.namespaces, { ...plan, ratePerSecond: plan.churnRate, seconds: plan.churnSeconds });
    const spacesDenyAllSeconds = plan.spaces > 0 ? await spacesToDenyAll(cluster, plan.spaces, prefix) : undefined;
    measured = {
      policies: plan.policies,
      ceilingSeconds,
      ceilingWithStatusSeconds: ceilingSeconds + converged.statusCeilingSeconds,
      convergenceSeconds: converged.seconds,
      firstStatusSeconds: converged.firstStatusSeconds,
      reachableSeconds: converged.reachableSeconds,
      ratio: converged.seconds / ceilingSeconds,
      ratioWithStatus: converged.seconds / (ceilingSeconds + converged.statusCeilingSeconds),
      convergenceWritesPerPolicy: Object.fromEntries(Object.entries(converged.writes).map(([key, count]) => [key, Number((count / plan.policies).toFixed(2))])),
      reconcilesPerPolicy: converged.reconciles / plan.policies,
      cpuMsPerPolicy: (1000 * converged.cpuSeconds) / plan.policies,
      idleWrites: idle,
      churn,
      peakRssMiB: peakRssMiB(converged.operator.process.pid!),
      heapUsedMiB: converged.heapUsedMiB,
      spacesDenyAllSeconds,
    };
  } finally {
    await converged.operator.stop();
  }
  const ownStatus = await ownStatusCeiling(cluster, plan, converged.namespaces);
  const ceilingWithOwnStatusSeconds = ceilingSeconds + ownStatus.seconds;
  const perPolicy = (seconds: number) => (1000 * seconds) / plan.policies;
  return {
    ...measured,
    ceilingWithOwnStatusSeconds,
    ratioWithOwnStatus: converged.seconds / ceilingWithOwnStatusSeconds,
    controlPlaneCpuMsPerPolicy: { ceilingWithOwnStatus: perPolicy(ceiling.controlPlaneCpuSeconds + ownStatus.controlPlaneCpuSeconds), operator: perPolicy(converged.controlPlaneCpuSeconds) },
    benchCpuMsPerPolicy: { ceilingWithOwnStatus: perPolicy(ceiling.benchCpuSeconds + ownStatus.benchCpuSeconds), operator: perPolicy(converged.benchCpuSeconds) },
  };
}

export function formatResults(results: readonly BenchResult[]): string {
  const rows = results.map((r) =>
    [
      r.policies,
      r.ceilingSeconds.toFixed(1),
      r.ceilingWithStatusSeconds.toFixed(1),
      r.convergenceSeconds.toFixed(1),
      r.firstStatusSeconds.toFixed(2),
      `${r.reachableSeconds.toFixed(2)} (${((100 * r.reachableSeconds) / r.convergenceSeconds).toFixed(1)} %)`,
      r.ratio.toFixed(2),
      r.ratioWithStatus.toFixed(2),
      r.ceilingWithOwnStatusSeconds.toFixed(1),
      r.ratioWithOwnStatus.toFixed(2),
      r.reconcilesPerPolicy.toFixed(2),
      r.cpuMsPerPolicy.toFixed(1),
      `${r.controlPlaneCpuMsPerPolicy.ceilingWithOwnStatus.toFixed(1)} / ${r.controlPlaneCpuMsPerPolicy.operator.toFixed(1)}`,
      `${r.benchCpuMsPerPolicy.ceilingWithOwnStatus.toFixed(1)} / ${r.benchCpuMsPerPolicy.operator.toFixed(1)}`,
      Object.entries(r.convergenceWritesPerPolicy).map(([key, count]) => `${key} ${count}`).join(', '),
      Object.keys(r.idleWrites).length ? JSON.stringify(r.idleWrites) : '0',
      `${r.churn.p50} / ${r.churn.p99} (${r.churn.updates})`,
      r.peakRssMiB.toFixed(0),
      r.heapUsedMiB.toFixed(0),
      r.spacesDenyAllSeconds?.toFixed(1) ?? '—',
    ].join(' | '),
  );
  return [
    '| policies | ceiling s | ceiling with status s | operator s | start → first status s | Reachable s (share) | operator/ceiling | operator/ceiling with status | ceiling with the operator’s status s | operator/that ceiling | reconciles per policy | operator CPU ms per policy | API server and etcd CPU ms per policy (that ceiling / operator) | bench process CPU ms per policy (that ceiling’s client / watches of the operator’s run) | writes per policy while converging | writes in idle resync | churn p50 / p99 ms (updates) | peak RSS MiB | heap used at convergence MiB | Spaces → DenyAll s |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...rows.map((row) => `| ${row} |`),
  ].join('\n');
}
