/** `appnetpol cf-api`: the Cloud Foundry Network Policy API, until SIGTERM or SIGINT. */
import { KubeConfig } from '../runtime/client-node.js';
import type { Server as HttpsServer } from 'node:https';
import type { AppNetworkPolicy } from '../api/types.js';
import { parseHostPort } from '../config/operator-config.js';
import { Authorizer } from '../cfapi/auth.js';
import { guidSourceOf, type CfApiConfig } from '../cfapi/config.js';
import { AppDirectory, directoryInformerOptions } from '../cfapi/directory.js';
import { CfApiMetrics } from '../cfapi/metrics.js';
import { PolicyIndex } from '../cfapi/policy-index.js';
import { buildServer } from '../cfapi/server.js';
import { CfPolicyService } from '../cfapi/service.js';
import { CF_API_POLICIES, PolicyStore } from '../cfapi/storage.js';
import { readTlsPair, watchTlsPair } from '../cfapi/tls.js';
import { clientSettingsOf } from '../config/kube-api.js';
import { KubeClient, type KubeObject } from '../runtime/kube-client.js';
import { startHealthServer } from '../runtime/health-server.js';
import { createLogger } from '../runtime/logger.js';
import { SharedInformers } from '../runtime/informers.js';
import { startTracing } from '../runtime/tracing.js';
import { exitOnSignal } from './shutdown.js';

export async function runCfApi(config: CfApiConfig, kubeconfigPath?: string): Promise<void> {
  const tlsFiles = config.plainHttp ? undefined : { certFile: config.tlsCertFile, keyFile: config.tlsKeyFile };
  // Read before anything starts: unreadable or mismatched files are a configuration error (exit 2).
  const tls = tlsFiles && readTlsPair(tlsFiles);
  const tracing = await startTracing();
  const log = createLogger(config.logLevel);
  const kubeconfig = new KubeConfig();
  if (kubeconfigPath) kubeconfig.loadFromFile(kubeconfigPath);
  else kubeconfig.loadFromDefault();
  const metrics = new CfApiMetrics();
  const client = new KubeClient(kubeconfig, clientSettingsOf(config), metrics.clientObserver());

  const informers = new SharedInformers(client, log, metrics);
  const guidSource = guidSourceOf(config);
  const directory = new AppDirectory(guidSource, informers.for<KubeObject>(directoryInformerOptions(guidSource)));
  const policies = informers.for<AppNetworkPolicy & KubeObject>(CF_API_POLICIES);
  const index = new PolicyIndex(policies);
  const store = new PolicyStore(client, index, log, (namespace, name) => policies.get(name, namespace));
  const authorizer = new Authorizer(client, log, metrics);
  const service = new CfPolicyService({ client, authorizer, directory, index, store, log, quota: config.quota });
  const server = buildServer({ service, authorizer, directory, log, metrics, tls });

  let listening = false;
  const metricsServer = await startHealthServer(parseHostPort(config.metricsAddress), { registry: metrics.registry, ready: () => listening });
  log.info({ server: client.server, metricsAddress: config.metricsAddress }, 'starting appnetpol cf-api: syncing caches');
  await informers.startAll();
  const { host, port } = parseHostPort(config.listenAddress);
  await server.listen({ host, port });
  listening = true;
  const stopWatchingTls = tlsFiles && tls ? watchTlsPair(tlsFiles, tls, (pair) => (server.server as unknown as HttpsServer).setSecureContext(pair), log) : undefined;
  log.info({ address: config.listenAddress, scheme: tls ? 'https' : 'http', policies: index.size }, 'cf-api serving');

  const cleanup = setInterval(() => {
    service.cleanup().catch((error: Error) => log.warn({ err: error }, 'periodic cleanup failed; trying again next interval'));
  }, config.cleanupIntervalMinutes * 60_000);
  cleanup.unref();

  exitOnSignal(log, 'stopping cf-api', async () => {
    clearInterval(cleanup);
    stopWatchingTls?.();
    await Promise.all([server.close(), informers.stopAll(), new Promise((resolve) => metricsServer.close(resolve))]);
    await tracing?.shutdown();
  });
}
