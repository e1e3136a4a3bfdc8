/** Static checks of config/: the CRD kustomizations list what is generated; the workloads are hardened. */
import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { parse, parseAllDocuments } from 'yaml';
import { shippedCRDs } from '../../../src/api/crd.js';

const fromRoot = (file: string) => readFileSync(new URL(`../../../${file}`, import.meta.url), 'utf8');
const read = (file: string) => fromRoot(`config/${file}`);
const resourcesOf = (dir: string) => (parse(fromRoot(`${dir}/kustomization.yaml`)) as { resources: string[] }).resources;

describe('crds', () => {
  it('lists every product CRD, and the Kf stand-ins only in its separate kf/ kustomization', () => {
    const files = (origin: string) => shippedCRDs().filter((c) => c.origin === origin).map((c) => c.file).sort();
    expect([...resourcesOf('crds')].sort()).toEqual(files('product'));
    expect(resourcesOf('crds/kf').map((f) => `kf/${f}`).sort()).toEqual(files('kf-stand-in'));
  });

  it('is what config/default installs', () => {
    expect(resourcesOf('config/default')).toContain('../../crds');
  });
});

interface Container {
  name: string;
  securityContext: Record<string, unknown>;
  resources: { requests?: Record<string, string>; limits?: Record<string, string> };
  livenessProbe?: unknown;
  readinessProbe?: unknown;
}
interface Deployment {
  kind: string;
  metadata: { name: string };
  spec: { template: { spec: { securityContext: Record<string, unknown>; containers: Container[] } } };
}

const deployments = ['manager/controller.yaml', 'manager/cf-api.yaml']
  .flatMap((file) => parseAllDocuments(read(file)).map((doc) => doc.toJS() as Deployment))
  .filter((object) => object.kind === 'Deployment');

describe.each(deployments.map((d) => [d.metadata.name, d] as const))('Deployment %s', (_name, deployment) => {
  const pod = deployment.spec.template.spec;

  it('runs as non-root with the runtime default seccomp profile', () => {
    expect(pod.securityContext).toEqual({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
  });

  it.each(pod.containers.map((c) => [c.name, c] as const))('container %s is locked down, bounded and probed', (_c, container) => {
    expect(container.securityContext).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    expect(Object.keys(container.resources.requests ?? {}).sort()).toEqual(['cpu', 'memory']);
    expect(Object.keys(container.resources.limits ?? {}).sort()).toEqual(['cpu', 'memory']);
    expect(container.livenessProbe).toBeDefined();
    expect(container.readinessProbe).toBeDefined();
  });
});
