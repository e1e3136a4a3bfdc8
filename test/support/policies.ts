/** AppNetworkPolicies for end-to-end tests that only need some policy to become Ready. */
import { expect } from '@jest/globals';
import type { KubeObject } from '../../src/runtime/kube-client.js';
import { eventually, testCluster } from './cluster.js';

type Policy = KubeObject & { status?: { observedGeneration?: number; conditions?: { type: string; status: string }[] } };

const collection = (namespace: string) => `/apis/networking.kf.dev/v1alpha1/namespaces/${namespace}/appnetworkpolicies`;

/** A policy whose peer does not exist: still programmed and Ready (ResolvedRefs says what is missing). */
export async function createPolicy(namespace: string, name: string): Promise<void> {
  await testCluster().admin.create(collection(namespace), {
    apiVersion: 'networking.kf.dev/v1alpha1',
    kind: 'AppNetworkPolicy',
    metadata: { name, namespace },
    spec: { app: name, egress: [{ to: [{ app: 'peer', space: namespace }] }] },
  });
}

export async function waitReady(namespace: string, name: string, timeoutMs = 60_000): Promise<void> {
  await eventually(
    async () => {
      const policy = await testCluster().admin.get<Policy>(`${collection(namespace)}/${name}`);
      expect(policy.status?.observedGeneration).toBe(policy.metadata!.generation);
      expect(policy.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
    },
    timeoutMs,
    100,
  );
}
