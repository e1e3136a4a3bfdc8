/** The independent NetworkPolicy implementation the engine is compared with, built on first use by hack/. */
import { execFileSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Source (test/support) and compiled (dist/test/support) copies both live below the repository root. */
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), import.meta.url.includes('/dist/test/') ? '../../..' : '../..');

export interface OracleEndpoint {
  /** Absent: an address outside the cluster. */
  namespace?: string;
  labels?: Record<string, string>;
  ip: string;
  ports?: { name?: string; containerPort: number; protocol?: string }[];
}

export interface OracleCase {
  namespaces: Record<string, Record<string, string>>;
  policies: unknown[];
  probes: { from: OracleEndpoint; to: OracleEndpoint; protocol: string; port: number }[];
}

/** Builds the oracle when missing (a cold build takes a minute or two) and returns its path. */
export function buildOracle(): string {
  const out = execFileSync('bash', [join(repoRoot, 'hack/build-go-tool.sh'), 'netpol-oracle'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  return out.trim().split('\n').at(-1)!;
}

/** One verdict per probe per case. */
export function askOracle(binary: string, cases: OracleCase[]): boolean[][] {
  const out = execFileSync(binary, [], { input: JSON.stringify({ cases }), encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  return (JSON.parse(out) as { results: boolean[][] }).results;
}
