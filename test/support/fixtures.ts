/** Objects the end-to-end tests set up: namespaces and Kf Apps (the global setup installs the CRDs). */
import { isConflict } from '../../src/runtime/kube-client.js';
import { testCluster } from './cluster.js';

export async function createNamespaces(names: string[]): Promise<void> {
  for (const name of names) {
    await testCluster()
      .admin.create('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } })
      .catch((e: unknown) => (isConflict(e) ? undefined : Promise.reject(e)));
  }
}

/** A Kf App object as Kf's controller would hold it: its pods carry app.kubernetes.io/name=<name>. */
export async function createKfApp(namespace: string, name: string): Promise<void> {
  await testCluster().admin.create(`/apis/kf.dev/v1alpha1/namespaces/${namespace}/apps`, {
    apiVersion: 'kf.dev/v1alpha1',
    kind: 'App',
    metadata: { name, namespace },
    spec: {},
  });
}
