/**
 * config/default is what `kubectl apply -k config/default` installs: render it, apply it to the real
 * control plane, read every object back. (No nodes here, so the Deployments' pods never run.)
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { isNotFound } from '../../src/runtime/kube-client.js';
import { kubectl, testCluster } from '../support/cluster.js';
import { objectPath, renderKustomization, type Manifest } from '../support/kustomize.js';

const { admin } = testCluster();
const rendered = renderKustomization('config/default');
/** The CRD is shared with every other test file; everything else is this file's to remove. */
const removable = rendered.filter((o) => o.kind !== 'CustomResourceDefinition');

afterAll(async () => {
  for (const object of removable) await admin.delete(objectPath(object)).catch((e: unknown) => (isNotFound(e) ? undefined : Promise.reject(e)));
});

describe('config/default', () => {
  it('holds the CRD, both workloads and their RBAC, and neither the Kf stand-ins nor the samples', () => {
    const names = rendered.map((o) => `${o.kind}/${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`).sort();
    expect(names).toEqual([
      'ClusterRole/appnetpol-appnetworkpolicies-edit',
      'ClusterRole/appnetpol-appnetworkpolicies-view',
      'ClusterRole/appnetpol-cf-api',
      'ClusterRole/appnetpol-cf-network-admin',
      'ClusterRole/appnetpol-cf-network-write',
      'ClusterRole/appnetpol-controller',
      'ClusterRoleBinding/appnetpol-cf-api',
      'ClusterRoleBinding/appnetpol-controller',
      'CustomResourceDefinition/appnetworkpolicies.networking.kf.dev',
      'Deployment/appnetpol-system/appnetpol-cf-api',
      'Deployment/appnetpol-system/appnetpol-controller',
      'FlowSchema/appnetpol-controller-leader-election',
      'Namespace/appnetpol-system',
      'PodDisruptionBudget/appnetpol-system/appnetpol-cf-api',
      'PodDisruptionBudget/appnetpol-system/appnetpol-controller',
      'Role/appnetpol-system/appnetpol-controller-leader-election',
      'Role/default/appnetpol-controller-apiserver-endpoints',
      'RoleBinding/appnetpol-system/appnetpol-controller-leader-election',
      'RoleBinding/default/appnetpol-controller-apiserver-endpoints',
      'Service/appnetpol-system/appnetpol-cf-api',
      'ServiceAccount/appnetpol-system/appnetpol-cf-api',
      'ServiceAccount/appnetpol-system/appnetpol-controller',
    ]);
  });

  it('applies to a real API server, which then holds every object', async () => {
    const applied = await kubectl(['apply', '--server-side', '-k', 'config/default']);
    // No warnings: the namespace enforces the restricted Pod Security Standard, so a pod template
    // that broke it would draw a "would violate PodSecurity" warning here.
    expect(applied.stderr).toBe('');
    expect(applied.code).toBe(0);
    for (const object of rendered) {
      const live = await admin.get<Manifest>(objectPath(object));
      expect(live.metadata.name).toBe(object.metadata.name);
    }
  });
});

type Container = { name: string; ports?: { name: string; containerPort: number }[] };
type Workload = Manifest & { spec: { template: { metadata: { labels: Record<string, string> }; spec: { containers: Container[] } } } };
const workloads = rendered.filter((o): o is Workload => o.kind === 'Deployment');
const matches = (selector: Record<string, string>, labels: Record<string, string>) => Object.entries(selector).every(([k, v]) => labels[k] === v);

/** Renders an overlay of config/default with extra components, as a user's overlay in another directory would. */
function renderOverlay(components: string[]): Manifest[] {
  const dir = mkdtempSync(join(tmpdir(), 'appnetpol-overlay-'));
  try {
    const up = relative(dir, process.cwd());
    const lines = ['resources:', `- ${up}/config/default`, 'components:', ...components.map((c) => `- ${up}/${c}`)];
    writeFileSync(join(dir, 'kustomization.yaml'), `${lines.join('\n')}\n`);
    return renderKustomization(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('the workloads of config/default', () => {
  it('spread over nodes and zones, start behind a startup probe and keep one replica through disruptions', () => {
    for (const deployment of workloads) {
      const pod = deployment.spec.template.spec as { topologySpreadConstraints?: { topologyKey: string }[]; containers: (Container & { startupProbe?: unknown })[] };
      expect(pod.topologySpreadConstraints?.map((c) => c.topologyKey)).toEqual(['topology.kubernetes.io/zone', 'kubernetes.io/hostname']);
      expect(pod.containers[0].startupProbe).toMatchObject({ httpGet: { path: '/healthz', port: 'metrics' } });
      const budget = rendered.find((o) => o.kind === 'PodDisruptionBudget' && o.metadata.name === deployment.metadata.name) as Manifest & { spec: { maxUnavailable: number; selector: { matchLabels: Record<string, string> } } };
      expect(budget.spec.maxUnavailable).toBe(1);
      expect(matches(budget.spec.selector.matchLabels, deployment.spec.template.metadata.labels)).toBe(true);
    }
  });
});

describe('config/components/kubernetes-1.31', () => {
  it('checks rule names without the CEL list extension, and the API server takes the CRD', async () => {
    const overlay = renderOverlay(['config/components/kubernetes-1.31']);
    const crd = overlay.find((o) => o.kind === 'CustomResourceDefinition')!;
    const rules = JSON.stringify(crd).match(/self\.[a-z]+\(r, [^"]*o\.name == r\.name\)\)/g);
    expect(rules).toHaveLength(2);
    expect(JSON.stringify(crd)).not.toContain('distinct()');
    const dir = mkdtempSync(join(tmpdir(), 'appnetpol-crd-'));
    try {
      writeFileSync(join(dir, 'crd.json'), JSON.stringify(crd));
      expect(await kubectl(['apply', '--server-side', '--force-conflicts', '--dry-run=server', '-f', join(dir, 'crd.json')])).toMatchObject({ code: 0 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('config/components/monitoring', () => {
  const overlay = renderOverlay(['config/components/monitoring']);
  const added = overlay.filter((o) => !rendered.some((r) => r.kind === o.kind && r.metadata.name === o.metadata.name && r.metadata.namespace === o.metadata.namespace));

  it('adds metrics Services, ServiceMonitors and alerts to config/default', () => {
    expect(added.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
      'PrometheusRule/appnetpol',
      'Service/appnetpol-cf-api-metrics',
      'Service/appnetpol-controller-metrics',
      'ServiceMonitor/appnetpol-cf-api',
      'ServiceMonitor/appnetpol-controller',
    ]);
  });

  it('scrapes each workload through a Service that selects its pods and names its metrics port', () => {
    type Service = Manifest & { metadata: { labels: Record<string, string> }; spec: { selector: Record<string, string>; ports: { name: string; targetPort: string }[] } };
    const services = added.filter((o): o is Service => o.kind === 'Service');
    for (const monitor of added.filter((o) => o.kind === 'ServiceMonitor') as (Manifest & { spec: { selector: { matchLabels: Record<string, string> }; endpoints: { port: string }[] } })[]) {
      const [service] = services.filter((s) => matches(monitor.spec.selector.matchLabels, s.metadata.labels));
      expect(services.filter((s) => matches(monitor.spec.selector.matchLabels, s.metadata.labels))).toHaveLength(1);
      expect(service.spec.ports.map((p) => p.name)).toContain(monitor.spec.endpoints[0].port);
      const workload = workloads.find((w) => matches(service.spec.selector, w.spec.template.metadata.labels))!;
      expect(workload.spec.template.spec.containers[0].ports?.map((p) => p.name)).toContain(service.spec.ports[0].targetPort);
    }
  });

  it('alerts only on metrics that appnetpol documents (and the observability tests scrape)', () => {
    const rule = added.find((o) => o.kind === 'PrometheusRule') as Manifest & { spec: { groups: { rules: { alert: string; expr: string }[] }[] } };
    const rules = rule.spec.groups.flatMap((g) => g.rules);
    expect(rules.map((r) => r.alert)).toEqual(expect.arrayContaining(['AppnetpolControllerDown', 'AppnetpolReconcileErrors', 'AppnetpolPoliciesNotReady', 'AppnetpolCfApiErrors']));
    const documented = ['docs/operations.md', 'docs/cf-api.md'].map((f) => readFileSync(f, 'utf8')).join('\n');
    const jobs = added.filter((o) => o.kind === 'Service').map((o) => o.metadata.name);
    for (const { alert, expr } of rules) {
      const metrics = [...expr.matchAll(/\b([a-z_]+)(?=\{)/g)].map((m) => m[1]).filter((name) => !['up'].includes(name));
      expect({ alert, undocumented: metrics.filter((name) => !documented.includes(`\`${name}\``)) }).toEqual({ alert, undocumented: [] });
      for (const [, job] of expr.matchAll(/job="([^"]+)"/g)) expect(jobs).toContain(job);
    }
  });
});

describe('config/self-protection', () => {
  const [policy] = renderKustomization('config/self-protection') as (Manifest & { spec: { selector: { matchLabels: Record<string, string> }; ingress: { ports: { port: number }[] }[]; egress: { to: { entity: string }[] }[] } })[];

  it('selects both workloads, lets in only their metrics and CF API ports, lets out only the API server and DNS', () => {
    expect(workloads.map((w) => matches(policy.spec.selector.matchLabels, w.spec.template.metadata.labels))).toEqual([true, true]);
    const containerPorts = workloads.flatMap((w) => w.spec.template.spec.containers.flatMap((c) => c.ports ?? []).map((p) => p.containerPort));
    expect(policy.spec.ingress.flatMap((r) => r.ports.map((p) => p.port)).sort()).toEqual([...new Set(containerPorts)].sort());
    expect(policy.spec.egress.flatMap((r) => r.to.map((p) => p.entity))).toEqual(['kube-apiserver', 'dns']);
  });

  it('is admitted by the real API server', async () => {
    expect(await kubectl(['apply', '--server-side', '-k', 'config/default'])).toMatchObject({ code: 0 });
    const applied = await kubectl(['apply', '--server-side', '-k', 'config/self-protection']);
    expect(applied).toMatchObject({ code: 0, stderr: '' });
    removable.push(policy);
  });
});

describe('config/examples for exposing the CF API', () => {
  type Example = Manifest & {
    spec: {
      rules: { matches: { path: { value: string } }[]; backendRefs: { name: string; port: number }[] }[];
      targetRefs: { sectionName: string }[];
      validation: { hostname: string };
      dnsNames: string[];
      secretName: string;
    };
  };
  const load = (file: string) => parseAllDocuments(readFileSync(`config/examples/${file}`, 'utf8')).map((d) => d.toJS() as Example);
  const [route, backendTls] = load('cf-api-gateway.yaml');
  const [certificate] = load('cf-api-certificate.yaml');
  const service = rendered.find((o) => o.kind === 'Service' && o.metadata.name === 'appnetpol-cf-api') as Manifest & { spec: { ports: { name: string; port: number }[] } };
  const deployment = workloads.find((w) => w.metadata.name === 'appnetpol-cf-api')! as Workload & { spec: { template: { spec: { volumes: { secret?: { secretName: string } }[] } } } };

  it('route only the API paths to the CF API Service port', () => {
    expect(route.spec.rules.flatMap((r) => r.matches.map((m) => m.path.value))).toEqual(['/networking']);
    const [backend] = route.spec.rules[0].backendRefs;
    expect(service.spec.ports).toContainEqual(expect.objectContaining({ port: backend.port }));
    expect(backend.name).toBe(service.metadata.name);
  });

  it('verify the pods over TLS by the name on the certificate the Deployment mounts', () => {
    expect(service.spec.ports.map((p) => p.name)).toContain(backendTls.spec.targetRefs[0].sectionName);
    expect(certificate.spec.dnsNames).toContain(backendTls.spec.validation.hostname);
    expect(deployment.spec.template.spec.volumes.map((v) => v.secret?.secretName)).toContain(certificate.spec.secretName);
  });
});
