/**
 * The peer baseline for the benchmark: the same planner and the same write path as appnetpol's
 * AppNetworkPolicy controller, driven by @dot-i/k8s-operator's event handling (one global
 * sequential queue) instead of appnetpol's runtime. Facts are static: no informers to gather from.
 */
// A CommonJS module: its default export is a property of what Node hands over.
import peerFramework, { type ResourceEvent } from '@dot-i/k8s-operator';
import { API_VERSION, KIND, type AppNetworkPolicy } from '../../src/api/types.js';
import { validateAppNetworkPolicy } from '../../src/api/validate.js';
import { DEFAULT_ENTITIES } from '../../src/config/entities.js';
import { planAppNetworkPolicy } from '../../src/planner/appnetworkpolicy.js';
import { condition, readyCondition } from '../../src/planner/conditions.js';
import { applyIfChanged } from '../../src/runtime/apply.js';
import { KubeClient, type KubeObject } from '../../src/runtime/kube-client.js';

const client = KubeClient.fromFile(process.env.KUBECONFIG!);

class AppNetworkPolicyPeer extends peerFramework.default {
  protected async init(): Promise<void> {
    await this.watchResource('networking.kf.dev', 'v1alpha1', 'appnetworkpolicies', (event: ResourceEvent) => this.reconcile(event));
  }

  private async reconcile(event: ResourceEvent): Promise<void> {
    if (event.type === peerFramework.ResourceEventType.Deleted) return;
    const policy = { ...(event.object as unknown as AppNetworkPolicy), apiVersion: API_VERSION, kind: KIND } as AppNetworkPolicy;
    const generation = policy.metadata.generation;
    const schemaErrors = validateAppNetworkPolicy(policy).map((i) => `${i.path}: ${i.message}`);
    const plan = planAppNetworkPolicy({ policy, facts: { dataplane: { state: 'NotDetected', detail: 'peer baseline' } }, entities: DEFAULT_ENTITIES, schemaErrors });
    if (!plan.networkPolicy) return;
    const desired = plan.networkPolicy as unknown as KubeObject;
    const collectionPath = `/apis/networking.k8s.io/v1/namespaces/${policy.metadata.namespace}/networkpolicies`;
    // No cache: the framework offers none, so the peer reads before it writes.
    const live = await client.get<KubeObject>(`${collectionPath}/${desired.metadata!.name}`).catch(() => undefined);
    await applyIfChanged({ client, collectionPath, desired, live });
    const conditions = [...plan.conditions, condition('Programmed', 'True', 'Programmed', 'written', generation)];
    await this.patchResourceStatus(event.meta, { observedGeneration: generation, conditions: [...conditions, readyCondition(conditions, generation)].map((c) => ({ ...c, lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z') })) });
  }
}

await new AppNetworkPolicyPeer().start();
