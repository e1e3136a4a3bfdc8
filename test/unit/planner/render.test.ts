import { describe, expect, it } from '@jest/globals';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import type { ValidationIssue } from '../../../src/api/validate.js';
import { renderManifests } from '../../../src/cli/render.js';
import { expectGolden, goldenCases, readInput } from './golden.js';

const DIRECTORY = fileURLToPath(new URL('../../golden/render/', import.meta.url));

/** Stands in for the CRD schema validation: rejects the object named `broken`. */
function validate(obj: unknown): ValidationIssue[] {
  const name = (obj as { metadata?: { name?: string } }).metadata?.name;
  const issue: ValidationIssue = { path: 'spec.ingress[0].ports[0].port', kind: 'Invalid', value: 70000, message: 'must be at most 65535' };
  return name === 'broken' ? [issue] : [];
}

describe('renderManifests golden cases', () => {
  it.each(goldenCases(DIRECTORY))('%s', (name) => {
    const result = renderManifests(readInput(DIRECTORY, name), `${name}.yaml`, { validate });
    const problems = result.problems.map((p) => `# problem: ${p}\n`).join('');
    expectGolden(DIRECTORY, name, `${result.yaml}${problems}`);
  });
});

describe('renderManifests', () => {
  const policy = [
    'apiVersion: networking.kf.dev/v1alpha1',
    'kind: AppNetworkPolicy',
    'metadata: {name: operator, namespace: ops, uid: 5e0c-uid}',
    'spec: {app: operator, egress: [{to: [{entity: kube-apiserver}]}]}',
  ].join('\n');

  it('prints YAML that parses back into the rendered objects', () => {
    const result = renderManifests(policy, 'policy.yaml', { validate });
    const objects = parseAllDocuments(result.yaml).map((d) => d.toJS() as { kind?: string } | null);
    expect(objects.filter((o) => o?.kind === 'NetworkPolicy')).toHaveLength(1);
  });

  it('uses the given kube-apiserver endpoints and uid instead of placeholders', () => {
    const apiServer = { addresses: ['10.1.0.5'], ports: [{ port: 443, protocol: 'TCP' as const }] };
    const result = renderManifests(policy, 'policy.yaml', { validate, apiServer });
    expect(result.yaml).toContain('cidr: 10.1.0.5/32');
    expect(result.yaml).toContain('uid: 5e0c-uid');
    expect(result.yaml).not.toContain('placeholder 192.0.2.1');
  });

  it('reports YAML syntax errors with the document they are in', () => {
    const result = renderManifests(`${policy}\n---\nkind: [unclosed\n`, 'broken.yaml', { validate });
    expect(result.problems).toHaveLength(1);
    expect(result.problems[0]).toMatch(/^broken\.yaml document 2: /);
  });

  it('reports rejected policies so the CLI can fail', () => {
    const broken = policy.replace('name: operator', 'name: broken');
    expect(renderManifests(broken, 'b.yaml', { validate }).problems).toEqual([
      'AppNetworkPolicy ops/broken (b.yaml document 1): InvalidSpec: the spec is invalid: spec.ingress[0].ports[0].port: Invalid value: 70000: must be at most 65535. ' +
        'No NetworkPolicy is written for this generation; the one written before, if any, stays in place.',
    ]);
  });

  it('renders a Space manifest into its baseline and essentials and reports an invalid value', () => {
    const space = [
      'apiVersion: kf.dev/v1alpha1',
      'kind: Space',
      'metadata: {name: kf-render}',
      'spec: {networkConfig: {appNetworkPolicy: {egress: DenyAll}, buildNetworkPolicy: {ingress: Permit}}}',
    ].join('\n');
    const result = renderManifests(space, 'space.yaml', { validate });
    const objects = parseAllDocuments(result.yaml).map((d) => d.toJS() as { metadata?: { name?: string } } | null);
    expect(objects.flatMap((o) => (o?.metadata?.name ? [o.metadata.name] : []))).toEqual(['appnetpol-space-app', 'appnetpol-space-app-essentials']);
    expect(result.problems).toEqual([
      'Space kf-render (space.yaml document 1): InvalidNetworkConfig: spec.networkConfig.buildNetworkPolicy.ingress: invalid value "Permit": ' +
        'must be PermitAll, DenyAll or empty (empty means PermitAll). The build policies applied before stay in place until this is corrected.',
    ]);
  });
});
