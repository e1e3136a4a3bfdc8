/**
 * Runs inside the node's network namespace, where the host's 127.0.0.1 is out of reach: accepts TCP on
 * the namespace's own loopback and passes each connection to a Unix socket, whose other end (in the host
 * namespace) connects to the API server. TLS passes through untouched.
 *
 *   node relay.js --listen PORT --to SOCKET
 */
import { createConnection, createServer } from 'node:net';
import { parseArgs } from 'node:util';
import { splice } from './splice.js';

const { values } = parseArgs({ options: { listen: { type: 'string' }, to: { type: 'string' } } });

createServer((client) => splice(client, createConnection(values.to!))).listen(Number(values.listen), '127.0.0.1');
