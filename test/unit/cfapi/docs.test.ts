/** docs/cf-api.md shows a curl call for every route the CF API serves, and only routes it serves. */
import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { pino } from 'pino';
import { buildServer, type ServerDeps } from '../../../src/cfapi/server.js';

const app = buildServer({ log: pino({ level: 'silent' }) } as ServerDeps);

/** "METHOD /path" of every route, read from Fastify's route tree (HEAD is implied by GET). */
async function servedRoutes(): Promise<string[]> {
  await app.ready();
  const stack: string[] = [];
  const routes: string[] = [];
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const match = /^([│ ]*)[└├]── (\S+)(?: \(([^)]*)\))?$/.exec(line);
    if (!match) continue;
    const depth = match[1].length / 4;
    stack.length = depth;
    stack.push(match[2]);
    const path = stack.join('').replace(/\/\//g, '/');
    for (const method of (match[3] ?? '').split(', ').filter((m) => m && m !== 'HEAD')) routes.push(`${method} ${path}`);
  }
  return routes.sort();
}

/** "METHOD /path" of every curl call in the doc, with the version as the route's parameter. */
function documentedRoutes(): string[] {
  const doc = readFileSync('docs/cf-api.md', 'utf8');
  const calls = [...doc.matchAll(/^curl .*?\$API(\/[^\s"?]*)/gm)].map((m) => `${/-X POST/.test(m[0]) ? 'POST' : 'GET'} ${m[1].replace(/\/networking\/v1\//, '/networking/:version/')}`);
  return [...new Set(calls)].sort();
}

describe('docs/cf-api.md', () => {
  it('has a curl example for every route but the root, which answers like /networking', async () => {
    expect(documentedRoutes()).toEqual((await servedRoutes()).filter((route) => route !== 'GET /'));
  });
});
