/**
 * A TCP proxy in front of the API server that misbehaves on purpose: it ends connections early (so
 * watches and requests break off mid-stream), slows every chunk down, and lets some connections hang
 * without a byte, so the client's request timeouts are what ends them. TLS passes through untouched.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import type { ControlPlane } from '../../hack/control-plane.js';

export interface Faults {
  /** Each connection is cut after a random time in this range (ms). */
  closeAfterMs?: [number, number];
  /** Every chunk waits this long in each direction (ms). */
  delayMs?: number;
  /** Share of connections (0..1) that stop passing data a second after the faults reach them: the first, then every 1/share-th. */
  hangShare?: number;
}

export interface FaultProxy {
  /** https://127.0.0.1:<port> */
  server: string;
  faults: Faults;
  readonly counts: { connections: number; cut: number; hung: number };
  close(): Promise<void>;
}

export async function startFaultProxy(target: string, faults: Faults = {}): Promise<FaultProxy> {
  const { hostname, port } = new URL(target);
  const counts = { connections: 0, cut: 0, hung: 0 };
  const sockets = new Set<Socket>();
  const proxy: FaultProxy = { server: '', faults, counts, close: async () => undefined };

  /** Per open connection: when it is cut and whether it hangs, decided when the faults first reach it. */
  const open = new Map<Socket, { cutAt?: number; hangs?: boolean; since: number }>();

  const server: Server = createServer((client) => {
    counts.connections++;
    const upstream = connect(Number(port), hostname);
    const state: { cutAt?: number; hangs?: boolean; since: number } = { since: Date.now() };
    open.set(client, state);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => {
        sockets.delete(socket);
        open.delete(client);
        client.destroy();
        upstream.destroy();
      });
    }
    const forward = (from: Socket, to: Socket) =>
      from.on('data', (chunk: Buffer) => {
        if (state.hangs && Date.now() - state.since > 1000) return;
        const delay = proxy.faults.delayMs ?? 0;
        if (delay > 0) setTimeout(() => to.write(chunk), delay);
        else to.write(chunk);
      });
    forward(client, upstream);
    forward(upstream, client);
  });
  // Faults reach connections opened before they were set too: clients keep theirs alive for long.
  let decisions = 0;
  const tick = setInterval(() => {
    const now = Date.now();
    const [min, max] = proxy.faults.closeAfterMs ?? [0, 0];
    for (const [client, state] of open) {
      if (max > 0) state.cutAt ??= now + min + Math.random() * (max - min);
      else state.cutAt = undefined;
      if (state.cutAt !== undefined && now >= state.cutAt) {
        counts.cut++;
        client.destroy();
      }
      const share = proxy.faults.hangShare ?? 0;
      if (share > 0 && state.hangs === undefined) {
        state.hangs = decisions++ % Math.round(1 / share) === 0;
        state.since = now;
        if (state.hangs) counts.hung++;
      }
      if (share === 0) state.hangs = undefined;
    }
  }, 100);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.server = `https://127.0.0.1:${(server.address() as { port: number }).port}`;
  proxy.close = async () => {
    clearInterval(tick);
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  };
  return proxy;
}

/** Writes a copy of the plane's admin kubeconfig that reaches its API server through `proxy`; returns its path. */
export function kubeconfigThrough(proxy: FaultProxy, plane: ControlPlane, name: string): string {
  const kubeconfig = `${plane.dir}/kubeconfig-through-${name}`;
  writeFileSync(kubeconfig, readFileSync(plane.kubeconfig, 'utf8').replace(`server: ${plane.server}`, `server: ${proxy.server}`), { mode: 0o600 });
  return kubeconfig;
}
