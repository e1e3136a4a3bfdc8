/**
 * AppNetworkPolicy controller: gathers the policy and cluster facts, asks the pure planner for the
 * desired NetworkPolicy and conditions, writes what differs and reports status.
 */
import { API_VERSION, KIND, PLURAL, POLICIES_PATH, type AppNetworkPolicy, type Condition } from '../api/types.js';
import type { DataplaneConfig } from '../config/dataplanes.js';
import type { EntityConfig } from '../config/entities.js';
import { planAppNetworkPolicy } from '../planner/appnetworkpolicy.js';
import { condition, isReady, KSTATUS_TYPES, mergeConditions, progressConditions, readyCondition, Reason, statusNeedsUpdate } from '../planner/conditions.js';
import { withMeshConditions } from '../planner/mesh-conditions.js';
import { reachableCondition } from '../planner/reachable.js';
import type { ControllerContext } from '../runtime/controller.js';
import type { Informer } from '../runtime/informer.js';
import { isUpToDate } from '../runtime/apply.js';
import { isNotFound, isRefusal, type KubeObject } from '../runtime/kube-client.js';
import type { Logger } from '../runtime/logger.js';
import { ExpectedWrites } from '../runtime/expected-writes.js';
import { QueueController, type QueueControllerOptions } from '../runtime/queue-controller.js';
import { prepareSpecValidation, specIssues } from './spec-issues.js';
import { FactsSource, type FactChange } from './facts.js';
import { LiveReachability } from './reachability.js';
import type { MeshStatusBoard } from './mesh-status.js';
import { controllerOwnerName, managedNetworkPolicies, type ManagedNetworkPolicies, writeOwnedNetworkPolicy } from './network-policies.js';
import { ReferenceIndex } from './reference-index.js';

const NAME = 'appnetworkpolicy';

export interface AppNetworkPolicyControllerOptions extends QueueControllerOptions {
  entities: EntityConfig;
  /** How Enforced learns whether NetworkPolicy is enforced. */
  dataplane: DataplaneConfig;
  /** What the mesh controller publishes; Programmed, ResolvedRefs and Enforced then cover mesh output. */
  mesh?: MeshStatusBoard;
}

export class AppNetworkPolicyController extends QueueController {
  private readonly policies: Informer<AppNetworkPolicy & KubeObject>;
  private readonly networkPolicies: ManagedNetworkPolicies;
  private readonly facts: FactsSource;
  private readonly refs = new ReferenceIndex();
  private readonly reachability: LiveReachability;
  /** This controller's status writes and NetworkPolicy writes; their own watch events need no reconcile. */
  private readonly expectedStatus = new ExpectedWrites<AppNetworkPolicy & KubeObject>();
  private readonly expectedNetworkPolicies = new ExpectedWrites<KubeObject>();

  constructor(
    ctx: ControllerContext,
    private readonly options: AppNetworkPolicyControllerOptions,
  ) {
    super(NAME, ctx, options);
    this.policies = ctx.informers.for({ resource: PLURAL, path: POLICIES_PATH });
    ctx.metrics.countManagedObjects(KIND, () => this.policies.list().length);
    ctx.metrics.countPoliciesNotReady(() => this.policies.list().filter((p) => !isReady(p)).length);
    this.networkPolicies = managedNetworkPolicies(ctx);
    this.facts = FactsSource.for(ctx.informers);

    const onPolicy = (p: AppNetworkPolicy & KubeObject) => {
      this.refs.set(keyOf(p), referencesOf(p));
      if (!this.expectedStatus.isExpected(keyOf(p), p)) this.queue.add(keyOf(p));
    };
    const onPolicyDeleted = (p: AppNetworkPolicy & KubeObject) => {
      this.refs.delete(keyOf(p));
      this.expectedStatus.forget(keyOf(p));
    };
    this.policies.on({ add: onPolicy, update: onPolicy, delete: onPolicyDeleted });
    const ownerKey = (np: KubeObject) => {
      const owner = controllerOwnerName(np, KIND);
      return owner && `${np.metadata!.namespace}/${owner}`;
    };
    const onGenerated = (np: KubeObject) => {
      const owner = ownerKey(np);
      if (owner && !this.expectedNetworkPolicies.isExpected(keyOf(np), np)) this.queue.add(owner);
    };
    const onGeneratedDeleted = (np: KubeObject) => {
      this.expectedNetworkPolicies.forget(keyOf(np));
      const owner = ownerKey(np);
      if (owner) this.queue.add(owner);
    };
    this.networkPolicies.on({ add: onGenerated, update: onGenerated, delete: onGeneratedDeleted });
    this.facts.onChange((change) => this.keysAffectedBy(change).forEach((key) => this.queue.add(key)));
    options.mesh?.onChange((keys) => (keys === 'all' ? this.allKeys() : keys).forEach((key) => this.queue.add(key)));
    // Reachable depends on the NetworkPolicies selecting the policy's own and its peers' pods, and on those pods.
    this.reachability = new LiveReachability(ctx.informers, this.facts, this.policies, (seconds) => ctx.metrics.reachabilitySeconds.inc(seconds));
    this.reachability.onChange((refs) => (refs === '*' ? this.allKeys() : refs.flatMap((ref) => this.refs.keysFor(ref))).forEach((key) => this.queue.add(key)));
  }

  prepare(): void {
    prepareSpecValidation();
  }

  protected allKeys(): string[] {
    return this.policies.list().map(keyOf);
  }

  protected describeKey(key: string): Record<string, string> {
    const [namespace, name] = key.split('/');
    return { namespace, name };
  }

  private keysAffectedBy(change: FactChange): string[] {
    switch (change.kind) {
      case 'namespace':
        return this.refs.keysFor(`space:${change.name}`);
      case 'app':
        return this.refs.keysFor(`app:${change.namespace}/${change.name}`);
      case 'apiserver':
        return this.refs.keysFor('entity:kube-apiserver');
      case 'everything':
        return this.allKeys();
    }
  }

  protected async reconcile(key: string, log: Logger): Promise<void> {
    const [namespace, name] = key.split('/');
    const cached = this.policies.get(name, namespace);
    if (!cached || cached.metadata.deletionTimestamp) return; // Owner references let the garbage collector clean up.
    // List items may lack apiVersion and kind; Events and owner references need them.
    const policy = { ...cached, apiVersion: API_VERSION, kind: KIND } as AppNetworkPolicy & KubeObject;
    const generation = policy.metadata.generation;
    const schemaErrors = specIssues(policy).map((issue) => `${issue.path}: ${issue.message}`);
    const facts = { ...this.facts.current(), dataplane: this.facts.dataplane(this.options.dataplane) };
    const plan = planAppNetworkPolicy({ policy, facts, entities: this.options.entities, schemaErrors });
    let programmed: Condition;
    let failure: unknown;
    if (!plan.networkPolicy) {
      const accepted = plan.conditions.find((c) => c.type === 'Accepted');
      programmed = condition('Programmed', 'False', accepted?.reason ?? Reason.InvalidSpec, 'nothing was written for this generation; objects generated from the last accepted generation stay in force', generation);
    } else {
      const npName = plan.networkPolicy.metadata.name;
      const desired = plan.networkPolicy as unknown as KubeObject;
      const npKey = `${namespace}/${npName}`;
      this.expectedNetworkPolicies.expect(npKey, (np) => isUpToDate(desired, np));
      try {
        // Programmed for this very generation before: a NetworkPolicy that differs was changed by someone else.
        const drifted = policy.status?.conditions?.some((c) => c.type === 'Programmed' && c.status === 'True' && c.observedGeneration === generation) ?? false;
        const written = await writeOwnedNetworkPolicy(this.ctx, this.networkPolicies, policy, desired, log, drifted);
        // Nothing was written, so no event of ours is coming (and the expectation would hold `desired` meanwhile).
        if (written.outcome === 'unchanged' || written.outcome === 'conflict') this.expectedNetworkPolicies.forget(npKey);
        programmed =
          written.outcome === 'conflict'
            ? condition('Programmed', 'False', Reason.Conflict, written.message, generation)
            : condition('Programmed', 'True', Reason.Programmed, `NetworkPolicy ${npName} is current`, generation);
        if (written.outcome !== 'conflict') this.reachability.written(plan.networkPolicy);
      } catch (error) {
        this.expectedNetworkPolicies.forget(npKey);
        failure = error;
        programmed = condition('Programmed', 'False', Reason.ApplyFailed, `writing NetworkPolicy ${npName}: ${(error as Error).message}`, generation);
      }
    }
    const meshView = this.options.mesh?.view(key);
    // Undefined: the mesh controller has not handled this generation yet; it requeues the policy when it has.
    // Until then nothing is written, unless nothing ever was: kstatus takes a status without
    // observedGeneration for Current, so the first sight of a policy says at once that it is in progress.
    const conditions = withMeshConditions([...plan.conditions, programmed], generation, meshView) ?? (policy.status?.observedGeneration === undefined ? plan.conditions : undefined);
    if (conditions) {
      const reachable = plan.networkPolicy
        ? this.evaluateReachable(policy, generation)
        : condition('Reachable', 'Unknown', plan.conditions.find((c) => c.type === 'Accepted')?.reason ?? Reason.InvalidSpec, 'not evaluated while the spec is not accepted', generation);
      // Whether the failed writes behind a False Programmed may succeed on a retry alone (else: Stalled).
      const retrying = failure !== undefined ? !isRefusal(failure) : programmed.status === 'True' && (meshView?.result?.writeProblems.every((p) => p.retrying) ?? false);
      // Reachable is informative: it takes no part in Ready or in kstatus' Reconciling and Stalled.
      await this.writeStatus(policy, [...conditions, readyCondition(conditions, generation), ...progressConditions(conditions, generation, retrying), reachable]);
      await this.recordReachableChange(policy, reachable);
    }
    for (const event of plan.events) await this.ctx.events.record(policy, event.type, event.reason, event.message);
    if (programmed.status === 'False' && plan.networkPolicy) await this.ctx.events.record(policy, 'Warning', programmed.reason, programmed.message);
    if (failure) throw failure;
  }

  private evaluateReachable(policy: AppNetworkPolicy, generation: number | undefined): Condition {
    const started = process.hrtime.bigint();
    try {
      return reachableCondition(policy, this.reachability, generation);
    } finally {
      this.ctx.metrics.reachabilitySeconds.inc(Number(process.hrtime.bigint() - started) / 1e9);
    }
  }

  /**
   * An Event when Reachable changes, so `kubectl describe` shows when a flow got blocked or through.
   * The first evaluation is news only when a flow is blocked: an event per new policy saying that its
   * pods are not known yet would double the writes of a bulk import.
   */
  private async recordReachableChange(policy: AppNetworkPolicy & KubeObject, reachable: Condition): Promise<void> {
    const previous = policy.status?.conditions?.find((c) => c.type === 'Reachable');
    if (!previous && reachable.status !== 'False') return;
    if (previous?.status === reachable.status && previous.message === reachable.message) return;
    await this.ctx.events.record(policy, reachable.status === 'False' ? 'Warning' : 'Normal', reachable.reason, `Reachable ${reachable.status}: ${reachable.message}`);
  }

  private async writeStatus(policy: AppNetworkPolicy & KubeObject, conditions: Condition[]): Promise<void> {
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    const absent = KSTATUS_TYPES.filter((type) => !conditions.some((c) => c.type === type));
    const status = { observedGeneration: policy.metadata.generation, conditions: mergeConditions(policy.status?.conditions, conditions, now, absent) };
    if (!statusNeedsUpdate(policy.status, status)) return;
    const key = keyOf(policy);
    this.expectedStatus.expect(key, (p) => !p.metadata.deletionTimestamp && p.metadata.generation === status.observedGeneration && !statusNeedsUpdate(p.status, status));
    const path = `/apis/${API_VERSION}/namespaces/${policy.metadata.namespace}/${PLURAL}/${policy.metadata.name}/status`;
    try {
      await this.ctx.client.mergePatch(path, { status });
      this.ctx.metrics.apiRequests.inc({ kind: KIND, verb: 'patch-status' });
    } catch (error) {
      this.expectedStatus.forget(key);
      if (!isNotFound(error)) throw error; // Deleted meanwhile: nothing to report on.
    }
  }
}

function keyOf(policy: KubeObject): string {
  return `${policy.metadata!.namespace}/${policy.metadata!.name}`;
}

/** The facts a policy depends on, as reference keys: its namespace, its peers' Spaces and apps, entities. */
function referencesOf(policy: AppNetworkPolicy): string[] {
  const ns = policy.metadata.namespace!;
  const refs = [`space:${ns}`];
  if (policy.spec?.app) refs.push(`app:${ns}/${policy.spec.app}`);
  const peers = [...(policy.spec?.ingress ?? []).flatMap((r) => r.from ?? []), ...(policy.spec?.egress ?? []).flatMap((r) => r.to ?? [])];
  for (const peer of peers) {
    if (peer.app) refs.push(`app:${peer.space ?? ns}/${peer.app}`, `space:${peer.space ?? ns}`);
    if (peer.entity) refs.push(`entity:${peer.entity}`);
  }
  return refs;
}
