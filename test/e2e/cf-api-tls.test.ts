/**
 * The CF API over TLS, as a client sees it: the handshake presents the certificate from the files, a
 * rotated certificate is served to new connections without a restart, a broken rotation keeps the last
 * good one, and plain HTTP is served only when asked for.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type PeerCertificate } from 'node:tls';
import { eventually, testCluster } from '../support/cluster.js';
import { startCfApi, type CfApiProcess } from '../support/cf-api.js';

const { plane } = testCluster();
let dir: string;
let api: CfApiProcess;
const pairs: Record<'first' | 'second', { cert: string; key: string }> = { first: { cert: '', key: '' }, second: { cert: '', key: '' } };
const served = { certFile: '', keyFile: '' };

/** A self-signed certificate for 127.0.0.1 with the given common name (openssl, as a cluster's CA tooling would). */
function makePair(name: string): { cert: string; key: string } {
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', `/CN=${name}`, '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', key, '-out', cert], { stdio: 'ignore' });
  return { cert, key };
}

/** The certificate a fresh TLS connection is shown, trusting `ca` only. */
function handshake(ca: string): Promise<PeerCertificate> {
  const { port } = new URL(api.url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port: Number(port), ca: readFileSync(ca) }, () => {
      resolve(socket.getPeerCertificate());
      socket.end();
    });
    socket.on('error', reject);
  });
}

function get(path: string, ca: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${api.url}${path}`, { ca: readFileSync(ca) }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

function cfApi(...args: string[]) {
  return spawnSync(process.execPath, ['dist/src/cli/appnetpol.js', 'cf-api', '--kubeconfig', plane.kubeconfig, ...args], { encoding: 'utf8' });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'appnetpol-tls-'));
  pairs.first = makePair('cf-api-first');
  pairs.second = makePair('cf-api-second');
  // What the Deployment mounts: a Secret's tls.crt and tls.key.
  served.certFile = join(dir, 'tls.crt');
  served.keyFile = join(dir, 'tls.key');
  copyFileSync(pairs.first.cert, served.certFile);
  copyFileSync(pairs.first.key, served.keyFile);
  api = await startCfApi({ kubeconfig: plane.kubeconfig, logDir: `${plane.dir}/logs`, name: 'tls', tls: served });
});

afterAll(async () => {
  await api?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('cf-api over TLS', () => {
  it('completes a handshake with the certificate from the files and answers over it', async () => {
    expect(api.url).toMatch(/^https:/);
    expect((await handshake(pairs.first.cert)).subject.CN).toBe('cf-api-first');
    const answer = await get('/networking', pairs.first.cert);
    expect(answer.status).toBe(200);
    expect(answer.body).toMatch(/^Network policy server, up for /);
  });

  it('does not speak plain HTTP on the TLS port', async () => {
    await expect(fetch(api.url.replace('https:', 'http:') + '/networking')).rejects.toThrow();
  });

  it('serves a rotated certificate to new connections without a restart', async () => {
    copyFileSync(pairs.second.key, served.keyFile);
    copyFileSync(pairs.second.cert, served.certFile);
    await eventually(async () => expect((await handshake(pairs.second.cert)).subject.CN).toBe('cf-api-second'), 20_000, 500);
    expect(readFileSync(api.logFile, 'utf8')).toContain('TLS certificate reloaded');
  });

  it('keeps the last good certificate when the files turn unusable', async () => {
    writeFileSync(served.certFile, 'not a certificate\n');
    await eventually(() => expect(readFileSync(api.logFile, 'utf8')).toContain('TLS files changed into something unusable; still serving the previous certificate'), 20_000, 500);
    expect((await handshake(pairs.second.cert)).subject.CN).toBe('cf-api-second');
    copyFileSync(pairs.second.cert, served.certFile);
  });
});

describe('cf-api transport configuration', () => {
  it.each([
    [[], 'invalid configuration: the CF API serves HTTPS: give tlsCertFile and tlsKeyFile (--tls-cert-file, --tls-key-file), or set plainHttp (--plain-http) to serve plain HTTP'],
    [['--tls-cert-file', '/x.crt'], 'invalid configuration: tlsCertFile and tlsKeyFile go together; give both'],
    [['--plain-http', '--tls-cert-file', '/x.crt', '--tls-key-file', '/x.key'], 'invalid configuration: plainHttp excludes tlsCertFile and tlsKeyFile; give one or the other'],
    [['--tls-cert-file', '/nonexistent/tls.crt', '--tls-key-file', '/nonexistent/tls.key'], 'cannot read the TLS certificate file /nonexistent/tls.crt: ENOENT'],
  ])('exits with code 2 before contacting the cluster for %j', (args, message) => {
    const result = cfApi(...args);
    expect(result.stderr).toBe(`appnetpol: ${message}\n`);
    expect(result.status).toBe(2);
  });

  it('refuses a certificate and key that do not belong together', () => {
    const result = cfApi('--tls-cert-file', pairs.first.cert, '--tls-key-file', pairs.second.key);
    expect(result.stderr).toMatch(/^appnetpol: the TLS certificate \S+cf-api-first\.crt and key \S+cf-api-second\.key are not a usable pair: .+\n$/);
    expect(result.status).toBe(2);
  });
});
