/** Runs `appnetpol cf-api` as its own process against the test control plane. */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { join, resolve } from 'node:path';
import { freePort } from '../../hack/control-plane.js';
import type { KubeClient } from '../../src/runtime/kube-client.js';
import { eventually } from './cluster.js';

export interface CfApiProcess {
  process: ChildProcess;
  url: string;
  /** Where /metrics, /healthz and /readyz answer. */
  metricsUrl: string;
  logFile: string;
  /** Calls the API with a bearer token (none when undefined). */
  call(method: string, path: string, options?: { token?: string; body?: unknown; headers?: Record<string, string> }): Promise<{ status: number; text: string; json: () => unknown; headers: Headers }>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** The bundle, as the image runs it (hack/bundle.ts). */
const cli = resolve('dist/bundle/appnetpol.js');

/**
 * Starts the CF API on loopback: plain HTTP unless `tls` names the certificate and key to serve HTTPS
 * with (then `call` is not for it: the test makes its own TLS connections).
 */
export async function startCfApi(options: { kubeconfig: string; logDir: string; name?: string; args?: string[]; env?: NodeJS.ProcessEnv; tls?: { certFile: string; keyFile: string } }): Promise<CfApiProcess> {
  const port = await freePort();
  const metricsPort = await freePort();
  const transport = options.tls ? ['--tls-cert-file', options.tls.certFile, '--tls-key-file', options.tls.keyFile] : ['--plain-http'];
  const logFile = join(options.logDir, `cf-api-${options.name ?? 'main'}-${port}.log`);
  const log = createWriteStream(logFile);
  const child = spawn(process.execPath, [cli, 'cf-api', '--kubeconfig', options.kubeconfig, '--listen-address', `127.0.0.1:${port}`, '--metrics-address', `127.0.0.1:${metricsPort}`, ...transport, ...(options.args ?? [])], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...options.env },
  });
  child.stdout!.pipe(log);
  child.stderr!.pipe(log);
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const url = `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`;
  const metricsUrl = `http://127.0.0.1:${metricsPort}`;
  await eventually(async () => {
    if (child.exitCode !== null) throw new Error(`cf-api exited with ${child.exitCode}; log: ${logFile}`);
    const response = await fetch(`${metricsUrl}/readyz`);
    if (response.status !== 200) throw new Error(`cf-api not ready (${response.status}); log: ${logFile}`);
  }, 60_000);
  return {
    process: child,
    url,
    metricsUrl,
    logFile,
    call: async (method, path, { token, body, headers } = {}) => {
      const response = await fetch(url + path, {
        method,
        headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
        body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      });
      const text = await response.text();
      return { status: response.status, text, json: () => JSON.parse(text), headers: response.headers };
    },
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode === null) child.kill(signal);
      return exited;
    },
  };
}

/**
 * Makes `identity` a cf-api admin: RBAC lets it create AppNetworkPolicies in every namespace. Returns
 * the ClusterRole's name, so a test can bind it per namespace to make write callers.
 */
export async function grantCfAdmin(admin: KubeClient, identity: string, suffix: string): Promise<string> {
  const name = `cf-network-${suffix}`;
  await admin.create('/apis/rbac.authorization.k8s.io/v1/clusterroles', {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: { name },
    rules: [{ apiGroups: ['networking.kf.dev'], resources: ['appnetworkpolicies'], verbs: ['create'] }],
  });
  await admin.create('/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name: `${identity}-${suffix}` },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
    subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: identity }],
  });
  return name;
}
