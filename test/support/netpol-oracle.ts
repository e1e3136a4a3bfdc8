/** The independent NetworkPolicy implementation the engine is compared with, built on first use by hack/. */
import { execFileSync } from 'node:child_process';
import { goTool } from './go-tool.js';

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
  return goTool('netpol-oracle');
}

/** One verdict per probe per case. */
export function askOracle(binary: string, cases: OracleCase[]): boolean[][] {
  const out = execFileSync(binary, [], { input: JSON.stringify({ cases }), encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  return (JSON.parse(out) as { results: boolean[][] }).results;
}
