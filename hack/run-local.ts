/**
 * `npm start`: runs the operator. With a cluster configured (KUBECONFIG or ~/.kube/config) it runs
 * against that cluster; otherwise it starts the project's own local control plane, installs the
 * CRDs, applies config/samples and runs the operator in the foreground until Ctrl-C.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { admissionPluginsFrom, startControlPlane, startWatchdog, stopControlPlane } from './control-plane.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const cli = join(repoRoot, 'dist/src/cli/appnetpol.js');

function configuredKubeconfig(): string | undefined {
  if (process.env.KUBECONFIG) return process.env.KUBECONFIG;
  const home = join(homedir(), '.kube/config');
  return existsSync(home) ? home : undefined;
}

function kubectl(kubeconfig: string, args: string[]): void {
  execFileSync('kubectl', ['--kubeconfig', kubeconfig, ...args], { stdio: 'inherit' });
}

function runOperator(args: string[], onExit: (code: number) => void): void {
  const operator = spawn(process.execPath, [cli, 'controller', ...args], { stdio: 'inherit' });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => operator.kill(signal));
  operator.on('exit', (code) => onExit(code ?? 1));
}

const existing = configuredKubeconfig();
if (existing) {
  console.log(`appnetpol: running against the cluster of ${existing} (install the CRDs first: kubectl apply --server-side -k crds)`);
  runOperator(['--kubeconfig', existing], (code) => process.exit(code));
} else {
  console.log('appnetpol: no cluster configured; starting a local control plane (the first run builds it from source)');
  const plane = await startControlPlane({ crds: [join(repoRoot, 'crds'), join(repoRoot, 'crds/kf')], admissionPlugins: admissionPluginsFrom(process.env) });
  startWatchdog(process.pid, plane);
  kubectl(plane.kubeconfig, ['apply', '-k', join(repoRoot, 'config/samples')]);
  console.log(`\nappnetpol: local control plane at ${plane.server}\n  export KUBECONFIG=${plane.kubeconfig}\n  kubectl get appnetpol,networkpolicies -A\nprocess logs: ${plane.dir}/logs; Ctrl-C stops everything.\n`);
  runOperator(['--kubeconfig', plane.kubeconfig, '--health-address', process.env.APPNETPOL_HEALTH_ADDRESS ?? '127.0.0.1:8081'], (code) => {
    stopControlPlane(plane);
    process.exit(code);
  });
}
