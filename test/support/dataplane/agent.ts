/**
 * The process inside a pod's network namespace. It answers on the pod's TCP and UDP ports with its own
 * name, and makes connections and DNS queries from inside the namespace on request. Requests arrive as one
 * JSON line per connection on a Unix socket: the file system is shared across network namespaces, so the
 * test process outside can drive every pod without entering any.
 *
 *   node agent.js --name NAME --control SOCKET [--tcp PORT,...] [--udp PORT,...]
 */
import { createSocket } from 'node:dgram';
import { createConnection, createServer, type Socket } from 'node:net';
import { parseArgs } from 'node:util';
import dnsPacket from 'dns-packet';
import type { AgentReply, AgentRequest } from './protocol.js';

const { values } = parseArgs({
  options: { name: { type: 'string' }, control: { type: 'string' }, tcp: { type: 'string', default: '' }, udp: { type: 'string', default: '' } },
});
const name = values.name!;
const ports = (list: string) => list.split(',').filter(Boolean).map(Number);

for (const port of ports(values.tcp)) {
  createServer((socket) => socket.end(`${name}\n`)).listen(port, '0.0.0.0');
}
for (const port of ports(values.udp)) {
  const socket = createSocket('udp4');
  socket.on('message', (_message, from) => socket.send(name, from.port, from.address));
  socket.bind(port, '0.0.0.0');
}

createServer((control) => {
  let buffer = '';
  control.on('data', (chunk) => {
    buffer += chunk.toString();
    if (!buffer.includes('\n')) return;
    void handle(JSON.parse(buffer) as AgentRequest).then((reply) => control.end(JSON.stringify(reply) + '\n'));
  });
}).listen(values.control!);

async function handle(request: AgentRequest): Promise<AgentReply> {
  try {
    if (request.op === 'connect') {
      const peer = request.protocol === 'UDP' ? await udpExchange(request.host, request.port, request.timeoutMs) : await tcpGreeting(request.host, request.port, request.timeoutMs);
      return { ok: true, peer };
    }
    return { ok: true, addresses: await resolve(request.server, request.query, request.protocol, request.timeoutMs) };
  } catch (error) {
    return { ok: false, error: (error as Error).message };
  }
}

/** Open means the listener's greeting came back: packets passed both ways. */
function tcpGreeting(host: string, port: number, timeoutMs: number): Promise<string> {
  return withSocket(createConnection({ host, port }), timeoutMs, (socket, done) => {
    let text = '';
    socket.on('data', (chunk) => (text += chunk.toString()));
    socket.on('end', () => done(text.trim()));
  });
}

function udpExchange(host: string, port: number, timeoutMs: number): Promise<string> {
  const socket = createSocket('udp4');
  return new Promise<string>((resolvePeer, reject) => {
    const timer = setTimeout(() => reject(new Error(`no reply within ${timeoutMs} ms`)), timeoutMs);
    socket.on('message', (message) => (clearTimeout(timer), resolvePeer(message.toString())));
    // A connected socket surfaces the ICMP rejection as an error.
    socket.on('error', (error) => (clearTimeout(timer), reject(error)));
    socket.connect(port, host, () => socket.send('ping'));
  }).finally(() => socket.close());
}

async function resolve(server: string, query: string, protocol: 'UDP' | 'TCP', timeoutMs: number): Promise<string[]> {
  const question = { type: 'query' as const, id: Math.floor(Math.random() * 65535), flags: dnsPacket.RECURSION_DESIRED, questions: [{ type: 'A' as const, name: query }] };
  const answer = protocol === 'UDP' ? await udpQuery(server, dnsPacket.encode(question), timeoutMs) : await tcpQuery(server, dnsPacket.streamEncode(question), timeoutMs);
  return (answer.answers ?? []).flatMap((a) => (a.type === 'A' ? [a.data] : []));
}

function udpQuery(server: string, query: Buffer, timeoutMs: number): Promise<dnsPacket.Packet> {
  const socket = createSocket('udp4');
  return new Promise<dnsPacket.Packet>((resolveAnswer, reject) => {
    const timer = setTimeout(() => reject(new Error(`no DNS answer over UDP within ${timeoutMs} ms`)), timeoutMs);
    socket.on('message', (message) => (clearTimeout(timer), resolveAnswer(dnsPacket.decode(message))));
    socket.on('error', (error) => (clearTimeout(timer), reject(error)));
    socket.connect(53, server, () => socket.send(query));
  }).finally(() => socket.close());
}

function tcpQuery(server: string, query: Buffer, timeoutMs: number): Promise<dnsPacket.Packet> {
  return withSocket(createConnection({ host: server, port: 53 }), timeoutMs, (socket, done) => {
    socket.on('connect', () => socket.write(query));
    let received = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      received = Buffer.concat([received, chunk]);
      if (received.length >= 2 && received.length >= 2 + received.readUInt16BE(0)) done(dnsPacket.streamDecode(received));
    });
  });
}

/** Runs `use` on a TCP socket with one deadline for the whole exchange, and always destroys the socket. */
function withSocket<T>(socket: Socket, timeoutMs: number, use: (socket: Socket, done: (value: T) => void) => void): Promise<T> {
  return new Promise<T>((resolveValue, reject) => {
    const timer = setTimeout(() => reject(new Error(`not open within ${timeoutMs} ms`)), timeoutMs);
    socket.on('error', (error) => (clearTimeout(timer), reject(error)));
    use(socket, (value) => (clearTimeout(timer), resolveValue(value)));
  }).finally(() => socket.destroy());
}
