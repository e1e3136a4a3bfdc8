/**
 * Sets of ports per protocol, as ranges: what a rule admits once its named ports are resolved on the
 * destination pod, and what a pair of endpoints may use once both directions are intersected.
 */
import type { Protocol } from '../api/types.js';

export const PROTOCOLS: readonly Protocol[] = ['TCP', 'UDP', 'SCTP'];
export const MAX_PORT = 65535;

export interface PortRange {
  protocol: Protocol;
  from: number;
  to: number;
}

/** `all`: every port of every protocol. A list is kept sorted and merged by `normalizePorts`. */
export type PortSet = 'all' | readonly PortRange[];

export const NO_PORTS: PortSet = [];

export function unionPorts(sets: readonly PortSet[]): PortSet {
  if (sets.includes('all')) return 'all';
  if (sets.length === 1) return sets[0];
  return normalizePorts((sets as (readonly PortRange[])[]).flat());
}

export function intersectPorts(a: PortSet, b: PortSet): PortSet {
  if (a === 'all') return b;
  if (b === 'all') return a;
  if (!a.length || !b.length) return NO_PORTS;
  const overlaps: PortRange[] = [];
  for (const x of a) {
    for (const y of b) {
      if (x.protocol !== y.protocol) continue;
      const from = Math.max(x.from, y.from);
      const to = Math.min(x.to, y.to);
      if (from <= to) overlaps.push({ protocol: x.protocol, from, to });
    }
  }
  return normalizePorts(overlaps);
}

export function portsInclude(set: PortSet, protocol: Protocol, port: number): boolean {
  return set === 'all' || set.some((r) => r.protocol === protocol && r.from <= port && port <= r.to);
}

export function isEmptyPortSet(set: PortSet): boolean {
  return set !== 'all' && set.length === 0;
}

/** Sorted by protocol then port, overlapping and adjacent ranges merged; every port of all protocols becomes `all`. */
export function normalizePorts(ranges: readonly PortRange[]): PortSet {
  const sorted = [...ranges].sort((x, y) => PROTOCOLS.indexOf(x.protocol) - PROTOCOLS.indexOf(y.protocol) || x.from - y.from);
  const merged: PortRange[] = [];
  for (const range of sorted) {
    const last = merged.at(-1);
    if (last && last.protocol === range.protocol && range.from <= last.to + 1) last.to = Math.max(last.to, range.to);
    else merged.push({ ...range });
  }
  const whole = (p: Protocol) => merged.some((r) => r.protocol === p && r.from <= 1 && r.to >= MAX_PORT);
  return PROTOCOLS.every(whole) ? 'all' : merged;
}

/** `TCP 5080, TCP 5555-5560, UDP (all)`; `all ports`; `none`. */
export function formatPortSet(set: PortSet): string {
  if (set === 'all') return 'all ports';
  if (!set.length) return 'none';
  return set.map(formatRange).join(', ');
}

export function formatRange(range: PortRange): string {
  if (range.from <= 1 && range.to >= MAX_PORT) return `${range.protocol} (all ports)`;
  return range.from === range.to ? `${range.protocol} ${range.from}` : `${range.protocol} ${range.from}-${range.to}`;
}

/** The lowest port of `wanted` that `allowed` leaves out, or undefined when `allowed` covers all of `wanted`. */
export function firstUncovered(wanted: PortSet, allowed: PortSet): { protocol: Protocol; port: number } | undefined {
  if (allowed === 'all') return undefined;
  const ranges = wanted === 'all' ? PROTOCOLS.map((protocol) => ({ protocol, from: 1, to: MAX_PORT })) : wanted;
  for (const range of ranges) {
    let port = range.from;
    while (port <= range.to) {
      const cover = allowed.find((a) => a.protocol === range.protocol && a.from <= port && port <= a.to);
      if (!cover) return { protocol: range.protocol, port };
      port = cover.to + 1;
    }
  }
  return undefined;
}
