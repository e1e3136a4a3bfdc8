/** What an integration test needs from the shared control plane. */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { identityKubeconfig, type ControlPlane } from '../../hack/control-plane.js';
import { KubeClient } from '../../src/runtime/kube-client.js';
import { readControlPlane } from './state.js';

export interface TestCluster {
  plane: ControlPlane;
  admin: KubeClient;
  /** A client acting as one of the control plane's named identities. */
  as(identity: string): KubeClient;
  kubeconfigOf(identity: string): string;
}

let cached: TestCluster | undefined;

export function testCluster(): TestCluster {
  if (cached) return cached;
  const plane = readControlPlane();
  cached = {
    plane,
    admin: KubeClient.fromFile(plane.kubeconfig),
    as: (identity) => KubeClient.fromFile(identityKubeconfig(plane, identity)),
    kubeconfigOf: (identity) => identityKubeconfig(plane, identity),
  };
  return cached;
}

/** Creates a namespace of its own for one test file; names are unique per run. */
export async function createNamespace(prefix: string, labels: Record<string, string> = {}): Promise<string> {
  const name = `${prefix}-${randomBytes(3).toString('hex')}`;
  await testCluster().admin.create('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } });
  return name;
}

/** Retries `check` until it stops throwing; rethrows its last error after the timeout. */
export async function eventually<T>(check: () => Promise<T> | T, timeoutMs = 30_000, intervalMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  }
}

/**
 * Deletes every namespace whose name starts with `prefix` and waits until they are gone, not just
 * terminating: later files' operators reconcile cluster-wide and must neither work through another
 * file's leftovers nor meet namespaces that refuse writes.
 */
export async function removeNamespaces(prefix: string): Promise<void> {
  const { admin } = testCluster();
  const matching = async () => (await admin.list('/api/v1/namespaces')).items.filter((n) => n.metadata!.name!.startsWith(prefix));
  for (const ns of await matching()) await admin.delete(`/api/v1/namespaces/${ns.metadata!.name}`);
  await eventually(async () => {
    if ((await matching()).length) throw new Error(`namespaces ${prefix}* are still terminating`);
  }, 120_000, 1000);
}

const execFileAsync = promisify(execFile);

/** Runs kubectl against the control plane as admin (or as `identity`). */
export async function kubectl(args: string[], options: { identity?: string; input?: string } = {}): Promise<{ stdout: string; stderr: string; code: number }> {
  const cluster = testCluster();
  const kubeconfig = options.identity ? cluster.kubeconfigOf(options.identity) : cluster.plane.kubeconfig;
  const child = execFileAsync('kubectl', ['--kubeconfig', kubeconfig, ...args], { encoding: 'utf8' });
  if (options.input !== undefined) {
    child.child.stdin!.end(options.input);
  }
  try {
    const { stdout, stderr } = await child;
    return { stdout, stderr, code: 0 };
  } catch (error) {
    const failed = error as { stdout: string; stderr: string; code: number };
    return { stdout: failed.stdout, stderr: failed.stderr, code: failed.code };
  }
}
