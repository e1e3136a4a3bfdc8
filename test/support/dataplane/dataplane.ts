/**
 * A real NetworkPolicy dataplane on this machine, without containers: kube-router's firewall, driven by
 * the local control plane, enforcing policy on "pods" that are network namespaces.
 *
 * Layout: one node namespace holds the routing, the firewall (kube-router's chains and ipsets) and one
 * veth per pod; each pod namespace holds its end of a veth (eth0, one /32 address, a default route through
 * it; the node answers ARP for every address by proxy ARP) and an agent process. The machine's own
 * namespace gets nothing but a Unix socket that relays the API server to kube-router. Every namespace
 * carries this dataplane's prefix; stopping deletes them all, and a watchdog does the same if the owning
 * process dies first.
 */
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { createConnection, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { ControlPlane } from '../../../hack/control-plane.js';
import { isNotFound, type KubeClient } from '../../../src/runtime/kube-client.js';
import { eventually } from '../cluster.js';
import type { AgentReply, AgentRequest } from './protocol.js';
import { splice } from './splice.js';

export type Protocol = 'TCP' | 'UDP';

/** Something that answers on an address: a pod, or a host outside the cluster. */
export interface Peer {
  /** The name its listeners answer with: `namespace/pod` for pods. */
  name: string;
  ip: string;
}

/** A peer with an agent, which can also make connections. */
export interface Endpoint extends Peer {
  /** The agent's control socket. */
  control: string;
}

export interface PodSpec {
  namespace: string;
  name: string;
  labels: Record<string, string>;
  tcp?: number[];
  udp?: number[];
}

/** Pods get 10.88.0.2 onwards; the node's address lies in the same range, so nothing here is "world". */
const POD_SUBNET = '10.88.0';
const NODE_IP = '10.88.255.1';
/** How long a denied connection is given to open anyway. kube-router rejects, so "denied" is usually immediate. */
export const DENIED_DEADLINE_MS = 1000;

const compiledDir = resolve('dist/test/support/dataplane');

/**
 * Installs the tools and builds kube-router when missing, then checks the kernel. Returns the kube-router
 * binary, or why this machine cannot run the dataplane: the only reason the tests skip.
 */
export function prepareDataplane(): { kubeRouter: string } | { unsupported: string } {
  if (process.getuid?.() !== 0) return { unsupported: 'network namespaces and iptables need root' };
  const out = execFileSync('bash', [resolve('hack/build-dataplane.sh')], { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
  const unsupported = missingKernelFeatures();
  return unsupported ? { unsupported } : { kubeRouter: join(out.trim().split('\n').pop()!, 'kube-router') };
}

/** Tries, in a throwaway namespace, everything kube-router's firewall needs from the kernel. */
function missingKernelFeatures(): string | undefined {
  const ns = `anp${randomBytes(3).toString('hex')}-probe`;
  const steps: string[][] = [
    ['ip', 'netns', 'add', ns],
    ['ip', '-n', ns, 'link', 'add', 'probe0', 'type', 'veth', 'peer', 'name', 'probe1'],
    ['ip', 'netns', 'exec', ns, 'ipset', 'create', 'probe', 'hash:ip'],
    ['ip', 'netns', 'exec', ns, 'iptables', '-A', 'FORWARD', '-m', 'set', '--match-set', 'probe', 'src', '-m', 'conntrack', '--ctstate', 'NEW', '-j', 'REJECT'],
    ['ip', 'netns', 'exec', ns, 'iptables', '-A', 'FORWARD', '-m', 'physdev', '--physdev-is-bridged', '-m', 'comment', '--comment', 'probe', '-j', 'MARK', '--set-xmark', '0x10000/0x10000'],
  ];
  try {
    for (const step of steps) {
      try {
        execFileSync(step[0], step.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
      } catch (error) {
        return `the kernel or its tools cannot do \`${step.join(' ')}\`: ${String((error as { stderr?: Buffer }).stderr ?? error).trim()}`;
      }
    }
    return undefined;
  } finally {
    deleteNetns(ns);
  }
}

export interface DataplaneOptions {
  plane: ControlPlane;
  admin: KubeClient;
  /** Where kube-router, the agents and dnsmasq write their logs. */
  logDir: string;
}

export class Dataplane {
  readonly nodeName: string;
  private readonly prefix: string;
  private readonly nodeNetns: string;
  private readonly dir: string;
  private readonly netnses: string[] = [];
  private readonly pods: { namespace: string; name: string }[] = [];
  private apiRelay?: Server;
  private nextHost = 2;

  private constructor(private readonly options: DataplaneOptions) {
    this.prefix = `anp${randomBytes(3).toString('hex')}`;
    this.nodeName = this.prefix;
    this.nodeNetns = `${this.prefix}-node`;
    this.dir = mkdtempSync(join(tmpdir(), `${this.prefix}-`));
  }

  /** Creates the node (namespace and Node object) and runs kube-router's firewall in it. */
  static async start(options: DataplaneOptions, kubeRouter: string): Promise<Dataplane> {
    const dataplane = new Dataplane(options);
    dataplane.startWatchdog();
    try {
      await dataplane.startNode(kubeRouter);
      return dataplane;
    } catch (error) {
      await dataplane.stop();
      throw error;
    }
  }

  private async startNode(kubeRouter: string): Promise<void> {
    const ns = this.addNetns('node');
    run('ip', '-n', ns, 'addr', 'add', `${NODE_IP}/32`, 'dev', 'lo');
    // No rate limit on the node's ICMP errors: kube-router rejects denied packets with one, and after the
    // default burst of six a denied connection would wait for its timeout instead of failing at once.
    run('ip', 'netns', 'exec', ns, 'sysctl', '-qw', 'net.ipv4.ip_forward=1', 'net.ipv4.icmp_ratelimit=0');

    const { admin, plane } = this.options;
    await admin.create('/api/v1/nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name: this.nodeName } });
    await admin.mergePatch(`/api/v1/nodes/${this.nodeName}/status`, {
      status: { addresses: [{ type: 'InternalIP', address: NODE_IP }], conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'test node' }] },
    });

    // kube-router reaches the API server at the same 127.0.0.1:<port>, its namespace's own loopback.
    const apiPort = Number(new URL(plane.server).port);
    const relaySocket = join(this.dir, 'api.sock');
    this.apiRelay = createServer((client) => splice(client, createConnection({ host: '127.0.0.1', port: apiPort }))).listen(relaySocket);
    this.spawnIn(ns, 'relay', process.execPath, [join(compiledDir, 'relay.js'), '--listen', String(apiPort), '--to', relaySocket]);

    this.spawnIn(ns, 'kube-router', kubeRouter, [
      `--kubeconfig=${plane.kubeconfig}`,
      `--hostname-override=${this.nodeName}`,
      '--run-firewall=true',
      '--run-router=false',
      '--run-service-proxy=false',
      '--service-cluster-ip-range=10.96.0.0/16',
      '--health-port=0',
    ]);
    // Its top-level chain appears after its first full sync, which needs the API server: proof of both.
    await eventually(() => run('ip', 'netns', 'exec', ns, 'iptables', '-S', 'KUBE-ROUTER-FORWARD'), 60_000, 200);
  }

  /** A pod: its network namespace, a Pod object on this node that is Running with its address, and its agent. */
  async addPod(spec: PodSpec): Promise<Endpoint> {
    const { admin } = this.options;
    const ip = this.nextAddress();
    const endpoint = this.attach(`${spec.namespace}/${spec.name}`, ip, spec.tcp ?? [], spec.udp ?? []);
    // The namespace refuses Pods until the service-account controller has made its default ServiceAccount.
    await eventually(() => admin.get(`/api/v1/namespaces/${spec.namespace}/serviceaccounts/default`), 30_000, 100);
    await this.createPod(spec, { containers: [{ name: 'agent', image: 'appnetpol.local/agent' }] }, ip);
    return endpoint;
  }

  /** The cluster DNS: a pod labelled k8s-app=kube-dns in kube-system running dnsmasq on UDP and TCP 53. */
  async addDnsServer(records: Record<string, string>): Promise<Peer> {
    const name = `${this.prefix}-dns`;
    const ip = this.nextAddress();
    const ns = this.attachNetns(ip);
    this.spawnIn(ns, 'dnsmasq', 'dnsmasq', [
      '--keep-in-foreground',
      '--conf-file=/dev/null',
      '--no-resolv',
      '--no-hosts',
      '--bind-interfaces',
      `--listen-address=${ip}`,
      '--user=root',
      `--pid-file=${join(this.dir, 'dnsmasq.pid')}`,
      '--log-facility=-',
      ...Object.entries(records).map(([host, address]) => `--host-record=${host},${address}`),
    ]);
    await this.createPod({ namespace: 'kube-system', name, labels: { 'k8s-app': 'kube-dns' } }, { containers: [{ name: 'dnsmasq', image: 'appnetpol.local/dnsmasq' }] }, ip);
    return { name: `kube-system/${name}`, ip };
  }

  /** A host outside the cluster: a namespace of its own on `ip`, reached through the node, with no Pod object. */
  addExternalHost(name: string, ip: string, tcp: number[]): Endpoint {
    return this.attach(name, ip, tcp, []);
  }

  /** Whether `from` gets an answer from `to`'s listener on `port` within the deadline. */
  async connects(from: Endpoint, to: Peer, port: number, protocol: Protocol = 'TCP', timeoutMs = DENIED_DEADLINE_MS): Promise<boolean> {
    const reply = await ask(from, { op: 'connect', protocol, host: to.ip, port, timeoutMs });
    return reply.ok && reply.peer === to.name;
  }

  /** The A records `from` gets for `query` from the DNS server, or the error that stopped it. */
  async resolve(from: Endpoint, server: Peer, query: string, protocol: Protocol, timeoutMs = DENIED_DEADLINE_MS): Promise<string[] | string> {
    const reply = await ask(from, { op: 'resolve', server: server.ip, query, protocol, timeoutMs });
    return reply.ok ? reply.addresses! : reply.error;
  }

  /** Removes every process, namespace, veth and route this dataplane made, and its Node and Pod objects. */
  async stop(): Promise<void> {
    for (const ns of [...this.netnses].reverse()) deleteNetns(ns);
    await new Promise<void>((done) => (this.apiRelay ? this.apiRelay.close(() => done()) : done()));
    const { admin } = this.options;
    const ignoreMissing = (e: unknown) => (isNotFound(e) ? undefined : Promise.reject(e));
    for (const pod of this.pods) await admin.delete(`/api/v1/namespaces/${pod.namespace}/pods/${pod.name}`, { gracePeriodSeconds: 0 }).catch(ignoreMissing);
    await admin.delete(`/api/v1/nodes/${this.nodeName}`).catch(ignoreMissing);
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async createPod(spec: PodSpec, podSpec: Record<string, unknown>, ip: string): Promise<void> {
    const { admin } = this.options;
    const path = `/api/v1/namespaces/${spec.namespace}/pods`;
    await admin.create(path, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: spec.name, namespace: spec.namespace, labels: spec.labels },
      spec: { nodeName: this.nodeName, terminationGracePeriodSeconds: 0, automountServiceAccountToken: false, ...podSpec },
    });
    this.pods.push({ namespace: spec.namespace, name: spec.name });
    // What a kubelet would report; kube-router only enforces for pods whose hostIP is its node's.
    await admin.mergePatch(`${path}/${spec.name}/status`, {
      status: { phase: 'Running', podIP: ip, podIPs: [{ ip }], hostIP: NODE_IP, hostIPs: [{ ip: NODE_IP }] },
    });
  }

  private nextAddress(): string {
    if (this.nextHost > 254) throw new Error('the dataplane has room for 253 pods');
    return `${POD_SUBNET}.${this.nextHost++}`;
  }

  /** A namespace on `ip` with an agent answering as `name`. */
  private attach(name: string, ip: string, tcp: number[], udp: number[]): Endpoint {
    const ns = this.attachNetns(ip);
    const control = join(this.dir, `${ns}.sock`);
    this.spawnIn(ns, 'agent', process.execPath, [join(compiledDir, 'agent.js'), '--name', name, '--control', control, '--tcp', tcp.join(','), '--udp', udp.join(',')]);
    return { name, ip, control };
  }

  /** A namespace joined to the node by a veth, with `ip` on its end and a route to it on the node's. */
  private attachNetns(ip: string): string {
    const index = this.netnses.length;
    const ns = this.addNetns(`p${index}`);
    const node = this.nodeNetns;
    const veth = `p${index}`;
    run('ip', '-n', node, 'link', 'add', veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns);
    // Proxy ARP answers for every address; its default delay would hold first replies back by up to 0.8 s.
    run('ip', 'netns', 'exec', node, 'sysctl', '-qw', `net.ipv4.conf.${veth}.proxy_arp=1`, `net.ipv4.neigh.${veth}.proxy_delay=0`);
    run('ip', '-n', node, 'link', 'set', veth, 'up');
    run('ip', '-n', node, 'route', 'add', `${ip}/32`, 'dev', veth);
    run('ip', '-n', ns, 'addr', 'add', `${ip}/32`, 'dev', 'eth0');
    run('ip', '-n', ns, 'link', 'set', 'eth0', 'up');
    run('ip', '-n', ns, 'route', 'add', 'default', 'dev', 'eth0');
    return ns;
  }

  private addNetns(suffix: string): string {
    const ns = `${this.prefix}-${suffix}`;
    run('ip', 'netns', 'add', ns);
    this.netnses.push(ns);
    run('ip', '-n', ns, 'link', 'set', 'lo', 'up');
    return ns;
  }

  /** A process inside `ns`; deleting the namespace kills it. */
  private spawnIn(ns: string, what: string, command: string, args: string[]): void {
    const log = openSync(join(this.options.logDir, `${ns}-${what}.log`), 'a');
    spawn('ip', ['netns', 'exec', ns, command, ...args], { detached: true, stdio: ['ignore', log, log] }).unref();
  }

  /**
   * Deletes this dataplane's namespaces (and the processes in them) once the owning process is gone
   * without having stopped it, e.g. when a test run is interrupted.
   */
  private startWatchdog(): void {
    const script = `while kill -0 ${process.pid} 2>/dev/null && [ -e '${this.dir}' ]; do sleep 1; done
[ -e '${this.dir}' ] || exit 0
for ns in $(ip netns list | awk '{print $1}' | grep '^${this.prefix}-'); do ip netns pids "$ns" | xargs -r kill -9; ip netns del "$ns"; done
rm -rf '${this.dir}'`;
    spawn('bash', ['-c', script], { detached: true, stdio: 'ignore' }).unref();
  }
}

function run(command: string, ...args: string[]): string {
  return execFileSync(command, args, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
}

/** Kills what runs in the namespace, then deletes it: its veths, routes, chains and ipsets go with it. */
function deleteNetns(ns: string): void {
  const pids = processesIn(ns);
  if (pids === undefined) return;
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  run('ip', 'netns', 'del', ns);
}

/** The processes inside a network namespace, or undefined when there is no such namespace. */
function processesIn(ns: string): number[] | undefined {
  try {
    return run('ip', 'netns', 'pids', ns).split('\n').filter(Boolean).map(Number);
  } catch {
    return undefined;
  }
}

/** One request to an agent; waits for its control socket to appear (the agent may still be starting). */
async function ask(endpoint: Endpoint, request: AgentRequest): Promise<AgentReply> {
  await eventually(() => {
    if (!existsSync(endpoint.control)) throw new Error(`the agent of ${endpoint.name} has not started (no ${endpoint.control})`);
  }, 10_000, 20);
  return new Promise<AgentReply>((done, reject) => {
    const socket = createConnection(endpoint.control);
    let text = '';
    socket.on('connect', () => socket.write(JSON.stringify(request) + '\n'));
    socket.on('data', (chunk) => (text += chunk.toString()));
    socket.on('end', () => done(JSON.parse(text) as AgentReply));
    socket.on('error', reject);
  });
}
