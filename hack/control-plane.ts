/**
 * A real local Kubernetes control plane: etcd, kube-apiserver and kube-controller-manager (garbage
 * collector, namespace and service-account controllers) on free loopback ports with temporary data
 * directories. Used by the tests and by `npm start`.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** A caller the API server knows by a static token. */
export interface Identity {
  name: string;
  token: string;
  groups: string[];
}

export interface ControlPlane {
  /** https://127.0.0.1:<port> */
  server: string;
  /** Kubeconfig for the admin identity (group system:masters). */
  kubeconfig: string;
  /** Named identities with no rights of their own, for RBAC tests. */
  identities: Record<string, Identity>;
  /** Where each process writes its log. */
  logs: Record<ProcessName, string>;
  dir: string;
  /** Pids of the process groups, so another process can tear them down. */
  pids: number[];
  /** How each process was started, so a test can kill one and start it again (`restartProcess`). */
  processes: Record<ProcessName, ProcessSpec>;
}

export type ProcessName = 'etcd' | 'kube-apiserver' | 'kube-controller-manager';

interface ProcessSpec {
  binary: string;
  args: string[];
  pid: number;
  /** Answers 200 once the process serves (with `readyToken` as bearer token where given). */
  readyUrl: string;
  readyToken?: string;
}

export const TEST_IDENTITIES = ['alice', 'bob', 'operator', 'cf-admin', 'cf-writer', 'nobody'] as const;

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), findRepoRootOffset());

/** Source (hack/) and compiled (dist/hack/) copies both live below the repository root. */
function findRepoRootOffset(): string {
  return import.meta.url.includes('/dist/hack/') ? '../..' : '..';
}

/** Builds the binaries when missing (a cold build takes a while) and returns their directory. */
export function ensureBinaries(): string {
  const out = execFileSync('bash', [join(repoRoot, 'hack/build-control-plane.sh')], {
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
  });
  return out.trim().split('\n').pop()!;
}

export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolvePort(address.port) : reject(new Error('no port'))));
    });
  });
}

export interface ControlPlaneOptions {
  dir?: string;
  binDir?: string;
  /**
   * CRDs (kustomization directories or YAML files) installed before the controller manager starts: its garbage collector only
   * learns kinds that appear later on a 30-second discovery resync, so owners of these kinds are
   * collected from the first moment.
   */
  crds?: string[];
  /**
   * Admission plugins to enable besides the API server's defaults, e.g. OwnerReferencesPermissionEnforcement
   * (on in OpenShift): setting `blockOwnerDeletion` then needs `update` on the owner's `finalizers`.
   */
  admissionPlugins?: string[];
}

/** Environment variable naming extra admission plugins (comma-separated) for the planes the tests and `npm start` launch. */
export const ADMISSION_PLUGINS_ENV = 'APPNETPOL_ADMISSION_PLUGINS';

/** The admission plugins ADMISSION_PLUGINS_ENV names in `env`. */
export function admissionPluginsFrom(env: NodeJS.ProcessEnv): string[] {
  return (env[ADMISSION_PLUGINS_ENV] ?? '').split(',').map((p) => p.trim()).filter(Boolean);
}

export async function startControlPlane(options: ControlPlaneOptions = {}): Promise<ControlPlane> {
  const binDir = options.binDir ?? ensureBinaries();
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'appnetpol-cp-'));
  mkdirSync(join(dir, 'logs'), { recursive: true });
  const logs: Record<ProcessName, string> = {
    etcd: join(dir, 'logs/etcd.log'),
    'kube-apiserver': join(dir, 'logs/kube-apiserver.log'),
    'kube-controller-manager': join(dir, 'logs/kube-controller-manager.log'),
  };
  const processes: ChildProcess[] = [];
  const specs: Partial<Record<ProcessName, ProcessSpec>> = {};
  /** Launches one process and waits until it is ready. */
  const start = async (name: ProcessName, spec: Omit<ProcessSpec, 'pid'>): Promise<void> => {
    const child = launch(spec.binary, logs[name], spec.args);
    processes.push(child);
    specs[name] = { ...spec, pid: child.pid! };
    await waitFor(`${name} (log: ${logs[name]})`, child, () => httpOk(spec.readyUrl, spec.readyToken));
  };

  try {
    const [etcdClient, etcdPeer, apiPort, kcmPort] = await distinctFreePorts(4);
    await start('etcd', {
      binary: join(binDir, 'etcd'),
      readyUrl: `http://127.0.0.1:${etcdClient}/health`,
      args: [
        `--data-dir=${join(dir, 'etcd')}`,
        '--name=appnetpol',
        `--listen-client-urls=http://127.0.0.1:${etcdClient}`,
        `--advertise-client-urls=http://127.0.0.1:${etcdClient}`,
        `--listen-peer-urls=http://127.0.0.1:${etcdPeer}`,
        `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeer}`,
        `--initial-cluster=appnetpol=http://127.0.0.1:${etcdPeer}`,
        '--unsafe-no-fsync',
        '--log-level=warn',
      ],
    });

    const adminToken = randomToken();
    const identities = Object.fromEntries(
      TEST_IDENTITIES.map((name) => [name, { name, token: randomToken(), groups: ['appnetpol:test'] }]),
    ) as Record<string, Identity>;
    const tokenFile = join(dir, 'tokens.csv');
    writeFileSync(
      tokenFile,
      [`${adminToken},admin,admin,"system:masters"`, ...Object.values(identities).map((i) => `${i.token},${i.name},${i.name},"${i.groups.join(',')}"`)].join('\n') + '\n',
      { mode: 0o600 },
    );
    const saKey = join(dir, 'sa.key');
    const saPub = join(dir, 'sa.pub');
    const keys = generateKeyPairSync('rsa', { modulusLength: 2048 });
    writeFileSync(saKey, keys.privateKey.export({ type: 'pkcs1', format: 'pem' }), { mode: 0o600 });
    writeFileSync(saPub, keys.publicKey.export({ type: 'spki', format: 'pem' }));

    const certDir = join(dir, 'pki');
    const server = `https://127.0.0.1:${apiPort}`;
    await start('kube-apiserver', {
      binary: join(binDir, 'kube-apiserver'),
      readyUrl: `${server}/readyz`,
      readyToken: adminToken,
      args: [
        `--etcd-servers=http://127.0.0.1:${etcdClient}`,
        `--secure-port=${apiPort}`,
        '--bind-address=127.0.0.1',
        '--advertise-address=127.0.0.1',
        `--cert-dir=${certDir}`,
        `--token-auth-file=${tokenFile}`,
        '--authorization-mode=RBAC',
        '--service-cluster-ip-range=10.96.0.0/16',
        '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
        `--service-account-key-file=${saPub}`,
        `--service-account-signing-key-file=${saKey}`,
        '--allow-privileged=true',
        // The API server refuses loopback addresses in Endpoints, so its own reconciler could only log
        // errors here; tests publish default/kubernetes EndpointSlices themselves, as a cluster would.
        '--endpoint-reconciler-type=none',
        // Short-lived watches and frequent compaction, so every test run exercises what clients must
        // survive in a long-lived cluster: watches that end, and resource versions that expire (410).
        '--min-request-timeout=10',
        '--etcd-compaction-interval=20s',
        '--profiling=false',
        ...(options.admissionPlugins?.length ? [`--enable-admission-plugins=${options.admissionPlugins.join(',')}`] : []),
      ],
    });

    const kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(kubeconfig, kubeconfigYaml(server, join(certDir, 'apiserver.crt'), 'admin', adminToken), { mode: 0o600 });
    for (const identity of Object.values(identities)) {
      writeFileSync(join(dir, `kubeconfig-${identity.name}`), kubeconfigYaml(server, join(certDir, 'apiserver.crt'), identity.name, identity.token), {
        mode: 0o600,
      });
    }

    installCrds(kubeconfig, options.crds ?? []);

    await start('kube-controller-manager', {
      binary: join(binDir, 'kube-controller-manager'),
      readyUrl: `https://127.0.0.1:${kcmPort}/healthz`,
      args: [
        `--kubeconfig=${kubeconfig}`,
        `--authentication-kubeconfig=${kubeconfig}`,
        `--authorization-kubeconfig=${kubeconfig}`,
        // Pods need their namespace's default ServiceAccount, hence the serviceaccount controller too;
        // clusterrole-aggregation folds aggregate-to-admin/edit/view roles into the built-in ones.
        '--controllers=garbagecollector,namespace,serviceaccount,clusterrole-aggregation',
        '--leader-elect=false',
        '--bind-address=127.0.0.1',
        `--secure-port=${kcmPort}`,
        `--service-account-private-key-file=${saKey}`,
        '--concurrent-gc-syncs=10',
      ],
    });

    return { server, kubeconfig, identities, logs, dir, pids: processes.map((p) => p.pid!), processes: specs as Record<ProcessName, ProcessSpec> };
  } catch (error) {
    stopProcessGroups(processes.map((p) => p.pid!).filter(Boolean));
    throw error;
  }
}

/**
 * SIGKILLs one process of a running control plane, as a crash would, and waits until it is gone
 * (without blocking: this process reaps its child only while its event loop runs).
 */
export async function killProcess(plane: ControlPlane, name: ProcessName): Promise<void> {
  const { pid } = plane.processes[name];
  signalGroup(pid, 'SIGKILL');
  while (groupAlive(pid)) await new Promise((r) => setTimeout(r, 20));
}

/**
 * Starts a killed process again with the arguments it had (same data directory and ports) and waits
 * until it serves. The plane's pids follow, so teardown reaches the new process.
 */
export async function restartProcess(plane: ControlPlane, name: ProcessName): Promise<void> {
  const spec = plane.processes[name];
  const child = launch(spec.binary, plane.logs[name], spec.args);
  plane.pids = plane.pids.map((pid) => (pid === spec.pid ? child.pid! : pid));
  spec.pid = child.pid!;
  await waitFor(`${name} (log: ${plane.logs[name]})`, child, () => httpOk(spec.readyUrl, spec.readyToken));
}

function installCrds(kubeconfig: string, paths: string[]): void {
  if (paths.length === 0) return;
  const kubectl = (...args: string[]) => execFileSync('kubectl', ['--kubeconfig', kubeconfig, ...args], { stdio: ['ignore', 'ignore', 'inherit'] });
  for (const path of paths) kubectl('apply', '--server-side', statSync(path).isDirectory() ? '-k' : '-f', path);
  kubectl('wait', '--for=condition=Established', '--timeout=60s', 'crd', '--all');
}

/** Kubeconfig of one of the named identities of a running control plane. */
export function identityKubeconfig(plane: Pick<ControlPlane, 'dir'>, name: string): string {
  return join(plane.dir, `kubeconfig-${name}`);
}

/** Stops whole process groups: SIGTERM, then SIGKILL for whatever is left. */
export function stopProcessGroups(pids: number[]): void {
  // Reverse start order: the controller manager and apiserver go before etcd.
  for (const pid of [...pids].reverse()) signalGroup(pid, 'SIGTERM');
  const deadline = Date.now() + 5000;
  while (pids.some(groupAlive) && Date.now() < deadline) sleepSync(50);
  for (const pid of pids) signalGroup(pid, 'SIGKILL');
}

export function stopControlPlane(plane: ControlPlane, options: { keepDir?: boolean } = {}): void {
  stopProcessGroups(plane.pids);
  if (!options.keepDir) rmSync(plane.dir, { recursive: true, force: true });
}

/**
 * A detached watchdog that tears the control plane down when `ownerPid` disappears, so even a
 * SIGKILLed test run leaves no processes behind. With `keepLogs` the process logs stay, to be read.
 */
export function startWatchdog(ownerPid: number, plane: ControlPlane, options: { keepLogs?: boolean } = {}): void {
  const groups = plane.pids.map((p) => `-${p}`).join(' ');
  const remove = options.keepLogs ? `find '${plane.dir}' -mindepth 1 -maxdepth 1 ! -name logs -exec rm -rf {} +` : `rm -rf '${plane.dir}'`;
  const script = `while kill -0 ${ownerPid} 2>/dev/null; do sleep 1; done; kill -TERM -- ${groups} 2>/dev/null; sleep 3; kill -KILL -- ${groups} 2>/dev/null; ${remove}`;
  spawn('bash', ['-c', script], { detached: true, stdio: 'ignore' }).unref();
}

function launch(binary: string, logFile: string, args: string[]): ChildProcess {
  const log = createWriteStream(logFile, { flags: 'a' });
  // Its own process group, so teardown reaches anything it forks.
  const child = spawn(binary, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.pipe(log);
  child.stderr!.pipe(log);
  child.unref();
  return child;
}

async function waitFor(what: string, child: ChildProcess, ready: () => Promise<boolean>, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${what} exited (code ${child.exitCode ?? child.signalCode}) before it was ready`);
    }
    if (await ready()) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${what} was not ready after ${timeoutMs / 1000}s`);
}

async function httpOk(url: string, token?: string): Promise<boolean> {
  const { Agent, request } = await import('node:https');
  const http = await import('node:http');
  return new Promise((done) => {
    const headers = token ? { authorization: `Bearer ${token}` } : undefined;
    const onResponse = (res: import('node:http').IncomingMessage) => {
      res.resume();
      done(res.statusCode === 200);
    };
    const req = url.startsWith('https:')
      ? request(url, { agent: new Agent({ rejectUnauthorized: false }), headers, timeout: 2000 }, onResponse)
      : http.request(url, { headers, timeout: 2000 }, onResponse);
    req.on('error', () => done(false));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

function kubeconfigYaml(server: string, caFile: string, user: string, token: string): string {
  // The apiserver's self-generated serving certificate file carries its own CA as well.
  const ca = readFileSync(caFile).toString('base64');
  return `apiVersion: v1
kind: Config
clusters:
- name: appnetpol-local
  cluster:
    server: ${server}
    certificate-authority-data: ${ca}
users:
- name: ${user}
  user:
    token: ${token}
contexts:
- name: ${user}@appnetpol-local
  context:
    cluster: appnetpol-local
    user: ${user}
current-context: ${user}@appnetpol-local
`;
}

async function distinctFreePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

function randomToken(): string {
  return randomBytes(24).toString('hex');
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}

function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
