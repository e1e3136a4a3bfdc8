/** `appnetpol controller`: runs the controllers until SIGTERM or SIGINT. */
import { KubeConfig } from '../runtime/client-node.js';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { AppNetworkPolicyController } from '../controllers/appnetworkpolicy.js';
import { MeshController } from '../controllers/mesh.js';
import { MeshStatusBoard } from '../controllers/mesh-status.js';
import { SpaceController } from '../controllers/space.js';
import { parseHostPort, type OperatorConfig } from '../config/operator-config.js';
import { clientSettingsOf } from '../config/kube-api.js';
import { KubeClient } from '../runtime/kube-client.js';
import { OperatorMetrics } from '../runtime/metrics.js';
import { createLogger } from '../runtime/logger.js';
import type { LeaderElectionOptions } from '../runtime/leader-election.js';
import { Manager } from '../runtime/manager.js';
import { startTracing } from '../runtime/tracing.js';
import { exitOnSignal } from './shutdown.js';

/** Exit code of a leader that lost its lease: it must stop writing at once; its pod restarts as a follower. */
const EXIT_LOST_LEADERSHIP = 1;

function leaderElectionOptions(config: OperatorConfig): LeaderElectionOptions | undefined {
  if (!config.leaderElect) return undefined;
  return {
    namespace: config.leaderElectionNamespace || process.env.POD_NAMESPACE || 'default',
    name: config.leaderElectionName,
    // The pod name (the hostname) says which replica leads; the suffix keeps a restarted process distinct.
    identity: `${hostname()}_${randomBytes(4).toString('hex')}`,
    leaseDurationMs: config.leaseDurationSeconds * 1000,
    renewDeadlineMs: config.renewDeadlineSeconds * 1000,
    retryPeriodMs: config.retryPeriodSeconds * 1000,
  };
}

export async function runController(config: OperatorConfig, kubeconfigPath?: string): Promise<void> {
  const log = createLogger(config.logLevel);
  const tracing = await startTracing();
  const kubeconfig = new KubeConfig();
  if (kubeconfigPath) kubeconfig.loadFromFile(kubeconfigPath);
  else kubeconfig.loadFromDefault();
  const metrics = new OperatorMetrics(config.leaderElectionName);
  const client = new KubeClient(kubeconfig, clientSettingsOf(config), metrics.clientObserver());
  const manager = new Manager({
    client,
    log,
    metrics,
    healthAddress: parseHostPort(config.healthAddress),
    leaderElection: leaderElectionOptions(config),
    onLostLeadership: () => process.exit(EXIT_LOST_LEADERSHIP),
  });
  const mesh = new MeshStatusBoard(config.mesh.enabled ? undefined : 'mesh output is disabled in the operator configuration (mesh.enabled: false)');
  if (config.mesh.enabled) {
    manager.add(new MeshController(manager.context, { mesh: config.mesh, entities: config.entities, status: mesh, concurrency: config.concurrency, resyncMs: config.resyncSeconds * 1000 }));
  }
  manager.add(new AppNetworkPolicyController(manager.context, { entities: config.entities, dataplane: config.dataplane, mesh, concurrency: config.concurrency, resyncMs: config.resyncSeconds * 1000 }));
  manager.add(new SpaceController(manager.context, { entities: config.entities, essentials: config.essentials, concurrency: config.concurrency, resyncMs: config.resyncSeconds * 1000 }));

  exitOnSignal(log, 'stopping: finishing in-flight work', () => manager.stop().then(() => tracing?.shutdown()));

  log.info({ server: client.server, tracing: tracing ? 'on' : 'off' }, 'starting appnetpol controller');
  await manager.start();
}
