/** The appnetpol command line: one binary for the controller, the CF API and the offline tools (started through appnetpol.ts). */
import { Command, CommanderError, Option } from 'commander';
import { readFileSync } from 'node:fs';
import { ConfigError, loadConfig } from '../config/operator-config.js';
import { formatLintResult, lintManifests } from './lint.js';
import { readPackageManifest } from '../runtime/package-manifest.js';
import { renderManifests } from './render.js';
import { validateAppNetworkPolicy } from '../api/validate.js';

const EXIT_USAGE = 2;
/** `explain`: the flow is denied. */
const EXIT_DENIED = 1;

function readInput(file: string): string {
  try {
    return readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

interface ControllerFlags {
  kubeconfig?: string;
  config?: string;
  concurrency?: string;
  resyncSeconds?: string;
  healthAddress?: string;
  logLevel?: string;
  leaderElect?: string | boolean;
  leaderElectionNamespace?: string;
  leaderElectionName?: string;
  leaseDurationSeconds?: string;
  renewDeadlineSeconds?: string;
  retryPeriodSeconds?: string;
  kubeApiQps?: string;
  kubeApiBurst?: string;
  kubeApiTimeoutSeconds?: string;
}

/** The client settings both long-running commands take; environment variables as in docs/operations.md. */
function withKubeApiOptions(command: Command): Command {
  return command
    .addOption(new Option('--kube-api-qps <n>', 'requests per second to the API server at most, 0 for no client-side limit (default 500)').env('APPNETPOL_KUBE_API_QPS'))
    .addOption(new Option('--kube-api-burst <n>', 'requests that may go at once before the limit paces them (default 1000)').env('APPNETPOL_KUBE_API_BURST'))
    .addOption(new Option('--kube-api-timeout-seconds <n>', 'longest one API request may take (default 30)').env('APPNETPOL_KUBE_API_TIMEOUT_SECONDS'));
}

export function buildProgram(): Command {
  const program = new Command('appnetpol')
    .description('Turns Kf / Cloud Foundry app network intent into Kubernetes NetworkPolicies and status')
    .version(readPackageManifest().version)
    .exitOverride()
    .showHelpAfterError();

  withKubeApiOptions(program.command('controller'))
    .description('run the controllers against the cluster of the kubeconfig (or in-cluster)')
    .option('--kubeconfig <path>', 'kubeconfig file (default: $KUBECONFIG, ~/.kube/config, in-cluster)')
    .option('--config <path>', 'YAML or JSON configuration file')
    .addOption(new Option('--concurrency <n>', 'parallel reconciles per controller').env('APPNETPOL_CONCURRENCY'))
    .addOption(new Option('--resync-seconds <n>', 'reconcile everything again this often').env('APPNETPOL_RESYNC_SECONDS'))
    .addOption(new Option('--health-address <host:port>', 'where /healthz, /readyz and /metrics listen').env('APPNETPOL_HEALTH_ADDRESS'))
    .addOption(new Option('--log-level <level>', 'fatal, error, warn, info, debug or trace').env('APPNETPOL_LOG_LEVEL'))
    .addOption(new Option('--leader-elect [enabled]', 'reconcile only while holding the leader Lease (true or false; default true)').env('APPNETPOL_LEADER_ELECT'))
    .addOption(new Option('--leader-election-namespace <ns>', 'namespace of the Lease (default: $POD_NAMESPACE, else default)').env('APPNETPOL_LEADER_ELECTION_NAMESPACE'))
    .addOption(new Option('--leader-election-name <name>', 'name of the Lease (default appnetpol-controller)').env('APPNETPOL_LEADER_ELECTION_NAME'))
    .addOption(new Option('--lease-duration-seconds <n>', 'how long followers wait for a silent leader (default 8)').env('APPNETPOL_LEASE_DURATION_SECONDS'))
    .addOption(new Option('--renew-deadline-seconds <n>', 'a leader that cannot renew for this long exits (default 5)').env('APPNETPOL_RENEW_DEADLINE_SECONDS'))
    .addOption(new Option('--retry-period-seconds <n>', 'how often the lease is renewed or looked at (default 2)').env('APPNETPOL_RETRY_PERIOD_SECONDS'))
    .action(async (options: ControllerFlags) => {
      const config = loadConfig({
        file: options.config,
        flags: {
          concurrency: options.concurrency,
          resyncSeconds: options.resyncSeconds,
          healthAddress: options.healthAddress,
          logLevel: options.logLevel,
          // A bare --leader-elect arrives as true.
          leaderElect: options.leaderElect === undefined ? undefined : String(options.leaderElect),
          leaderElectionNamespace: options.leaderElectionNamespace,
          leaderElectionName: options.leaderElectionName,
          leaseDurationSeconds: options.leaseDurationSeconds,
          renewDeadlineSeconds: options.renewDeadlineSeconds,
          retryPeriodSeconds: options.retryPeriodSeconds,
          kubeApiQps: options.kubeApiQps,
          kubeApiBurst: options.kubeApiBurst,
          kubeApiTimeoutSeconds: options.kubeApiTimeoutSeconds,
        },
      });
      // Loaded only here, so the offline commands start without the controller stack.
      const { runController } = await import('./controller.js');
      await runController(config, options.kubeconfig);
    });

  withKubeApiOptions(program.command('cf-api'))
    .description('serve the Cloud Foundry Network Policy API, storing policies as AppNetworkPolicies')
    .option('--kubeconfig <path>', 'kubeconfig file (default: $KUBECONFIG, ~/.kube/config, in-cluster)')
    .option('--config <path>', 'YAML or JSON configuration file')
    .addOption(new Option('--listen-address <host:port>', 'where the API listens').env('APPNETPOL_CF_API_LISTEN_ADDRESS'))
    .addOption(new Option('--metrics-address <host:port>', 'where /metrics, /healthz and /readyz listen (plain HTTP)').env('APPNETPOL_CF_API_METRICS_ADDRESS'))
    .addOption(new Option('--tls-cert-file <path>', 'PEM certificate (chain) to serve HTTPS with; re-read when it changes').env('APPNETPOL_CF_API_TLS_CERT_FILE'))
    .addOption(new Option('--tls-key-file <path>', 'PEM private key of that certificate').env('APPNETPOL_CF_API_TLS_KEY_FILE'))
    .addOption(new Option('--plain-http [enabled]', 'serve plain HTTP instead of HTTPS (true or false)').env('APPNETPOL_CF_API_PLAIN_HTTP'))
    .addOption(new Option('--quota <n>', 'most policies per source app for non-admin callers').env('APPNETPOL_CF_API_QUOTA'))
    .addOption(new Option('--cleanup-interval-minutes <n>', 'delete policies of vanished apps this often').env('APPNETPOL_CF_API_CLEANUP_INTERVAL_MINUTES'))
    .addOption(new Option('--app-guid-label <key>', "pod label holding the app GUID (default: the Kf App's metadata.uid)").env('APPNETPOL_CF_API_APP_GUID_LABEL'))
    .addOption(new Option('--log-level <level>', 'fatal, error, warn, info, debug or trace').env('APPNETPOL_LOG_LEVEL'))
    .action(async (options: { kubeconfig?: string; config?: string; listenAddress?: string; metricsAddress?: string; tlsCertFile?: string; tlsKeyFile?: string; plainHttp?: string | boolean; quota?: string; cleanupIntervalMinutes?: string; appGuidLabel?: string; logLevel?: string; kubeApiQps?: string; kubeApiBurst?: string; kubeApiTimeoutSeconds?: string }) => {
      const { loadCfApiConfig } = await import('../cfapi/config.js');
      const { kubeconfig, config: file, ...flags } = options;
      const config = loadCfApiConfig({ file, flags });
      const { runCfApi } = await import('./cf-api.js');
      await runCfApi(config, kubeconfig);
    });

  program
    .command('render')
    .description('print the objects that AppNetworkPolicy and Kf Space manifests produce, offline')
    .argument('<files...>', 'manifest files (- for standard input)')
    .action((files: string[]) => {
      for (const file of files) {
        const result = renderManifests(readInput(file), file, { validate: validateAppNetworkPolicy });
        process.stdout.write(result.yaml);
        for (const problem of result.problems) process.stderr.write(`${problem}\n`);
        if (result.problems.length) process.exitCode = 1;
      }
    });

  program
    .command('lint')
    .description('validate AppNetworkPolicy manifests offline against the CRD schema and its rules')
    .argument('<files...>', 'manifest files (- for standard input)')
    .action((files: string[]) => {
      let failed = false;
      for (const file of files) {
        const result = lintManifests(readInput(file), file);
        process.stdout.write(formatLintResult(result));
        failed ||= !result.ok;
      }
      if (failed) process.exitCode = 1;
    });

  program
    .command('explain')
    .description('say whether a flow gets through the NetworkPolicies in play, and why (exit 0 allowed, 1 denied, 2 bad usage)')
    .requiredOption('--from <endpoint>', 'source: SPACE/APP, NAMESPACE/pod/NAME or an IP address')
    .requiredOption('--to <endpoint>', 'destination: SPACE/APP, NAMESPACE/pod/NAME or an IP address')
    .requiredOption('--port <[proto/]port>', 'destination port, e.g. 5080 or UDP/53 (default protocol TCP)')
    .option('-f, --filename <files...>', 'read manifests (Namespaces, Pods, Kf Apps, Spaces, AppNetworkPolicies, NetworkPolicies) instead of the cluster')
    .option('-o, --output <format>', 'text or json', 'text')
    .option('--kubeconfig <path>', 'kubeconfig file (default: $KUBECONFIG, ~/.kube/config)')
    .action(async (options: { from: string; to: string; port: string; filename?: string[]; output?: string; kubeconfig?: string }) => {
      const { runExplain } = await import('./reachability.js');
      const allowed = await runExplain({ ...options, files: options.filename }, readInput, write, warn);
      process.exitCode = allowed ? 0 : EXIT_DENIED;
    });

  program
    .command('reach')
    .description('the app x app matrix of a Space or of the cluster: who may reach whom, on which ports')
    .option('-n, --namespace <space>', 'the Space (namespace) to show (default: default)')
    .option('-A, --all-namespaces', 'every Space')
    .option('--port <[proto/]port...>', 'only these ports, e.g. 5080 UDP/53 (default: every port)')
    .option('-f, --filename <files...>', 'read manifests instead of the cluster')
    .option('-o, --output <format>', 'table, json, dot or svg', 'table')
    .option('--kubeconfig <path>', 'kubeconfig file (default: $KUBECONFIG, ~/.kube/config)')
    .action(async (options: { namespace?: string; allNamespaces?: boolean; port?: string[]; filename?: string[]; output?: string; kubeconfig?: string }) => {
      const { runReach } = await import('./reachability.js');
      await runReach({ ...options, files: options.filename }, readInput, write, warn);
    });

  return program;
}

function write(text: string): void {
  process.stdout.write(text);
}

function warn(line: string): void {
  process.stderr.write(`appnetpol: warning: ${line}\n`);
}

export async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      process.exitCode = error.exitCode === 0 ? 0 : EXIT_USAGE;
    } else if (error instanceof ConfigError) {
      process.stderr.write(`appnetpol: ${error.message}\n`);
      process.exitCode = EXIT_USAGE;
    } else {
      process.stderr.write(`appnetpol: ${(error as Error).message}\n`);
      process.exitCode = 1;
    }
  }
}
