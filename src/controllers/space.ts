/**
 * Space controller: turns each Kf Space's networkConfig into the baseline and essentials
 * NetworkPolicies of its namespace and keeps them there. It never writes the Space (its status
 * belongs to Kf); it reports through Events on the Space, a metric and logs.
 */
import { KF_API_VERSION, SPACE_KIND, SPACES_PATH, type Space } from '../api/space.js';
import type { EntityConfig } from '../config/entities.js';
import type { EssentialsConfig } from '../config/essentials.js';
import { planSpace, type SpaceWorkloadPlan } from '../planner/space.js';
import type { ControllerContext } from '../runtime/controller.js';
import type { Informer } from '../runtime/informer.js';
import { isNotFound, type KubeObject } from '../runtime/kube-client.js';
import type { Logger } from '../runtime/logger.js';
import { QueueController, type QueueControllerOptions } from '../runtime/queue-controller.js';
import { FactsSource } from './facts.js';
import { controllerOwnerName, managedNetworkPolicies, type ManagedNetworkPolicies, networkPolicyCollection, ownedBy, writeOwnedNetworkPolicy } from './network-policies.js';

const NAME = 'space';

export interface SpaceControllerOptions extends QueueControllerOptions {
  entities: EntityConfig;
  essentials: EssentialsConfig;
}

export class SpaceController extends QueueController {
  private readonly spaces: Informer<Space & KubeObject>;
  private readonly networkPolicies: ManagedNetworkPolicies;
  private readonly facts: FactsSource;

  constructor(
    ctx: ControllerContext,
    private readonly options: SpaceControllerOptions,
  ) {
    super(NAME, ctx, options);
    this.spaces = ctx.informers.for({ resource: 'spaces.kf.dev', path: SPACES_PATH, optional: true });
    this.networkPolicies = managedNetworkPolicies(ctx);
    this.facts = FactsSource.for(ctx.informers);

    const onSpace = (space: Space & KubeObject) => this.queue.add(space.metadata.name);
    this.spaces.on({ add: onSpace, update: onSpace, delete: (space) => ctx.metrics.invalidSpaceConfig.remove({ space: space.metadata.name }) });
    const onGenerated = (np: KubeObject) => {
      const space = controllerOwnerName(np, SPACE_KIND);
      if (space) this.queue.add(space);
    };
    this.networkPolicies.on({ add: onGenerated, update: onGenerated, delete: onGenerated });
    // A Space whose namespace appears later is programmed when it does.
    this.facts.onChange((change) => {
      if (change.kind === 'namespace' && this.spaces.get(change.name)) this.queue.add(change.name);
    });
  }

  protected allKeys(): string[] {
    return this.spaces.list().map((s) => s.metadata.name);
  }

  protected describeKey(key: string): Record<string, string> {
    return { name: key };
  }

  protected async reconcile(name: string, log: Logger): Promise<void> {
    const cached = this.spaces.get(name);
    if (!cached || cached.metadata.deletionTimestamp) return; // Owner references let the garbage collector clean up.
    // List items may lack apiVersion and kind; Events and owner references need them.
    const space: Space & KubeObject = { ...cached, apiVersion: KF_API_VERSION, kind: SPACE_KIND };
    const plan = planSpace({
      space,
      namespaceExists: this.facts.current().namespaces?.has(name),
      entities: this.options.entities,
      essentials: this.options.essentials,
    });
    if (plan.waitingForNamespace) {
      log.info({ reason: 'WaitingForNamespace' }, `namespace ${name} does not exist yet; the Space's policies are written when it does`);
    }
    const invalid = plan.workloads.filter((w) => w.invalid);
    this.ctx.metrics.invalidSpaceConfig.set({ space: name }, invalid.length ? 1 : 0);
    for (const workload of invalid) log.warn({ reason: 'InvalidNetworkConfig', workload: workload.workload }, workload.invalid);
    for (const event of plan.events) await this.ctx.events.record(space, event.type, event.reason, event.message);
    for (const workload of plan.workloads) await this.program(space, workload, log);
  }

  /** Writes what differs and removes this Space's policies that are no longer wanted. */
  private async program(space: Space & KubeObject, workload: SpaceWorkloadPlan, log: Logger): Promise<void> {
    for (const desired of workload.networkPolicies ?? []) {
      const written = await writeOwnedNetworkPolicy(this.ctx, this.networkPolicies, space, desired as unknown as KubeObject, log);
      if (written.outcome === 'conflict') {
        log.warn({ reason: 'Conflict', networkPolicy: desired.metadata.name }, written.message);
        await this.ctx.events.record(space, 'Warning', 'Conflict', written.message);
      }
    }
    for (const name of workload.unwanted) {
      const live = this.networkPolicies.get(name, space.metadata.name);
      if (!live || !ownedBy(live, space)) continue;
      await this.client.delete(`${networkPolicyCollection(space.metadata.name)}/${name}`).catch((e: unknown) => (isNotFound(e) ? undefined : Promise.reject(e)));
      this.ctx.metrics.apiRequests.inc({ kind: 'NetworkPolicy', verb: 'delete' });
      log.info({ reason: 'deleted', networkPolicy: name }, 'NetworkPolicy deleted: no longer needed');
    }
  }

  private get client() {
    return this.ctx.client;
  }
}
