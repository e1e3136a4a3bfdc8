/**
 * Who reaches whom: the app × app matrix of a Space or the cluster. Each cell is the set of ports on
 * which the first app may reach the second (both directions intersected), narrowed to the ports asked
 * about when some are. Rendered as a table, JSON or Graphviz DOT (Spaces as boxes, apps as nodes,
 * allowed flows as labelled edges; flows no policy restricts drawn dashed).
 */
import type { Protocol } from '../api/types.js';
import { formatPortSet, intersectPorts, isEmptyPortSet, normalizePorts, type PortSet } from './ports.js';
import type { AppEndpoint, ClusterSnapshot } from './snapshot.js';

export interface ReachFlow {
  from: string;
  to: string;
  /** Where `from` may reach `to`; empty: nowhere. */
  ports: PortSet;
}

export interface ReachMatrix {
  apps: { space: string; app: string }[];
  /** Every ordered pair of distinct apps, row by row. */
  flows: ReachFlow[];
}

const appName = (a: { space: string; app: string }) => `${a.space}/${a.app}`;

export function reachMatrix(snapshot: ClusterSnapshot, apps: readonly AppEndpoint[], only?: readonly { protocol: Protocol; port: number }[]): ReachMatrix {
  const wanted = only?.length ? normalizePorts(only.map((p) => ({ protocol: p.protocol, from: p.port, to: p.port }))) : 'all';
  const flows: ReachFlow[] = [];
  for (const from of apps) {
    for (const to of apps) {
      if (from === to) continue;
      const ports = snapshot.engine.allowedPorts({ pod: from.pods[0] }, { pod: to.pods[0] });
      flows.push({ from: appName(from), to: appName(to), ports: intersectPorts(ports, wanted) });
    }
  }
  return { apps: apps.map(({ space, app }) => ({ space, app })), flows };
}

function cellText(ports: PortSet): string {
  return isEmptyPortSet(ports) ? '-' : ports === 'all' ? 'all' : formatPortSet(ports);
}

/** One line per source app: `FROM -> TO: ports`, allowed flows only, then a count. */
export function formatTable(matrix: ReachMatrix): string {
  const rows = matrix.flows.filter((f) => !isEmptyPortSet(f.ports)).map((f) => [f.from, f.to, cellText(f.ports)]);
  const header = ['FROM', 'TO', 'PORTS'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join('  ');
  const denied = matrix.flows.length - rows.length;
  return [line(header), ...rows.map(line), '', `${matrix.apps.length} apps: ${rows.length} flows allowed, ${denied} denied`].join('\n') + '\n';
}

export function toJSON(matrix: ReachMatrix): unknown {
  return { apps: matrix.apps.map(appName), flows: matrix.flows.map((f) => ({ from: f.from, to: f.to, ports: f.ports })) };
}

const quote = (text: string) => `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

export function toDot(matrix: ReachMatrix): string {
  const lines = ['digraph reach {', '  rankdir=LR;', '  node [shape=box, style="rounded,filled", fillcolor="#eef4fb", fontname="Helvetica"];', '  edge [fontname="Helvetica", fontsize=10];'];
  const spaces = [...new Set(matrix.apps.map((a) => a.space))];
  spaces.forEach((space, i) => {
    lines.push(`  subgraph cluster_${i} {`, `    label=${quote(space)}; style="rounded"; color="#7a8ca5"; fontname="Helvetica";`);
    for (const app of matrix.apps.filter((a) => a.space === space)) lines.push(`    ${quote(appName(app))} [label=${quote(app.app)}];`);
    lines.push('  }');
  });
  for (const flow of matrix.flows) {
    if (isEmptyPortSet(flow.ports)) continue;
    const style = flow.ports === 'all' ? ', style=dashed, color="#9aa5b1"' : ', color="#1f6feb"';
    lines.push(`  ${quote(flow.from)} -> ${quote(flow.to)} [label=${quote(cellText(flow.ports))}${style}];`);
  }
  lines.push('}');
  return lines.join('\n') + '\n';
}
