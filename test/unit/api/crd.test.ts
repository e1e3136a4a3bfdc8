import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { appNetworkPolicyCRD, kfSpaceCRD, shippedCRDs } from '../../../src/api/crd.js';
import { KUBERNETES_1_31_COMPONENT, pairwiseRuleNamePatch, renderCRDManifests, renderKubernetes131Component } from '../../../src/api/crd-manifests.js';
import { formatIssue } from '../../../src/api/validate.js';
import type { OpenAPISchema } from '../../../src/api/openapi-schema.js';
import { createSchemaValidator } from '../../../src/api/schema-validator.js';

const crdsDir = new URL('../../../crds/', import.meta.url);

describe('generated CRD files', () => {
  it.each(renderCRDManifests().map((m) => [m.file, m.content]))(
    'crds/%s matches what generate-crds writes (run: npm run build && node dist/hack/generate-crds.js)',
    (file, content) => {
      expect(readFileSync(new URL(file, crdsDir), 'utf8')).toBe(content);
    },
  );

  it(`${KUBERNETES_1_31_COMPONENT} matches what generate-crds writes`, () => {
    expect(readFileSync(new URL(`../../../${KUBERNETES_1_31_COMPONENT}`, import.meta.url), 'utf8')).toBe(renderKubernetes131Component());
  });

  it('the component for Kubernetes 1.31 swaps both rule-name checks for one that gives the same answers', () => {
    const crd = JSON.parse(JSON.stringify(appNetworkPolicyCRD())) as Record<string, unknown>;
    const patch = pairwiseRuleNamePatch();
    expect(patch.map((op) => op.path.split('/')[9])).toEqual(['ingress', 'egress']);
    for (const { path, value } of patch) {
      const keys = path.split('/').slice(1);
      const parent = keys.slice(0, -1).reduce((node: Record<string, unknown>, key) => node[key] as Record<string, unknown>, crd);
      expect(parent[keys.at(-1)!]).toMatch(/distinct\(\)/);
      parent[keys.at(-1)!] = value;
    }
    const schema = (crd as { spec: { versions: { schema: { openAPIV3Schema: OpenAPISchema } }[] } }).spec.versions[0].schema.openAPIV3Schema;
    const validate = createSchemaValidator(schema);
    const object = (spec: unknown) => ({ apiVersion: 'networking.kf.dev/v1alpha1', kind: 'AppNetworkPolicy', metadata: { name: 'web', namespace: 'a' }, spec });
    expect(validate(object({ app: 'web', ingress: [{ name: 'a' }, {}, { name: 'a' }] })).map(formatIssue)).toEqual(['spec.ingress: Invalid value: name must be unique among the ingress rules']);
    expect(validate(object({ app: 'web', egress: [{ name: 'x' }, { name: 'y' }, {}] }))).toEqual([]);
  });

  it('keeps the Kf stand-ins in their own folder', () => {
    expect(shippedCRDs().map(({ origin, file }) => [origin, file])).toEqual([
      ['product', 'appnetworkpolicies.networking.kf.dev.yaml'],
      ['kf-stand-in', 'kf/spaces.kf.dev.yaml'],
      ['kf-stand-in', 'kf/apps.kf.dev.yaml'],
    ]);
  });
});

describe('AppNetworkPolicy CRD', () => {
  const crd = appNetworkPolicyCRD();
  const version = crd.spec.versions[0]!;

  it('has the names, scope and status subresource of the design', () => {
    expect(crd.metadata.name).toBe('appnetworkpolicies.networking.kf.dev');
    expect(crd.spec.scope).toBe('Namespaced');
    expect(crd.spec.names).toMatchObject({ kind: 'AppNetworkPolicy', plural: 'appnetworkpolicies', shortNames: ['appnetpol'], categories: ['kf'] });
    expect(version).toMatchObject({ name: 'v1alpha1', served: true, storage: true, subresources: { status: {} } });
  });

  it('prints App, Ready, Reachable, Enforced and Age', () => {
    expect(version.additionalPrinterColumns!.map((c) => [c.name, c.jsonPath])).toEqual([
      ['App', '.spec.app'],
      ['Ready', '.status.conditions[?(@.type=="Ready")].status'],
      ['Reachable', '.status.conditions[?(@.type=="Reachable")].status'],
      ['Enforced', '.status.conditions[?(@.type=="Enforced")].status'],
      ['Age', '.metadata.creationTimestamp'],
    ]);
  });

  /** The structural-schema rules the API server enforces, checked node by node. */
  function structuralViolations(schema: OpenAPISchema, path: string): string[] {
    const found: string[] = [];
    if (!schema.type && !schema['x-kubernetes-int-or-string'] && !schema['x-kubernetes-preserve-unknown-fields']) found.push(`${path}: no type`);
    for (const branch of schema.anyOf ?? []) {
      if (!schema['x-kubernetes-int-or-string'] || Object.keys(branch).some((k) => k !== 'type')) found.push(`${path}: anyOf beyond int-or-string`);
    }
    if (schema['x-kubernetes-list-type'] === 'map') {
      for (const key of schema['x-kubernetes-list-map-keys'] ?? []) {
        if (!schema.items?.required?.includes(key)) found.push(`${path}: list-map key ${key} not required`);
      }
    }
    if (schema.type === 'array' && !schema['x-kubernetes-list-type']) found.push(`${path}: no list type`);
    for (const [key, child] of Object.entries(schema.properties ?? {})) found.push(...structuralViolations(child, `${path}.${key}`));
    if (schema.items) found.push(...structuralViolations(schema.items, `${path}[]`));
    if (schema.additionalProperties) found.push(...structuralViolations(schema.additionalProperties, `${path}{}`));
    return found;
  }

  it('is a structural schema', () => {
    expect(structuralViolations(version.schema.openAPIV3Schema, '')).toEqual([]);
  });

  /** Every string and list under spec is bounded, or the API server's CEL cost estimate explodes. */
  function unbounded(schema: OpenAPISchema, path: string): string[] {
    const own =
      (schema.type === 'string' && schema.maxLength === undefined && !schema.enum) ||
      (schema.type === 'array' && schema.maxItems === undefined) ||
      (schema['x-kubernetes-int-or-string'] && schema.maxLength === undefined)
        ? [path]
        : [];
    const children = [
      ...Object.entries(schema.properties ?? {}).map(([k, v]) => unbounded(v, `${path}.${k}`)),
      schema.items ? unbounded(schema.items, `${path}[]`) : [],
      schema.additionalProperties ? unbounded(schema.additionalProperties, `${path}{}`) : [],
    ];
    return [...own, ...children.flat()];
  }

  it('bounds every string and list under spec', () => {
    expect(unbounded(version.schema.openAPIV3Schema.properties!.spec!, 'spec')).toEqual([]);
  });

  it('describes every field under spec for kubectl explain', () => {
    const undocumented = (schema: OpenAPISchema, path: string): string[] => [
      ...(schema.description ? [] : [path]),
      ...Object.entries(schema.properties ?? {}).flatMap(([k, v]) => undocumented(v, `${path}.${k}`)),
      ...(schema.items?.type === 'object' ? undocumented(schema.items, `${path}[]`) : []),
    ];
    expect(undocumented(version.schema.openAPIV3Schema.properties!.spec!, 'spec')).toEqual([]);
  });
});

describe('Kf Space stand-in', () => {
  const validate = createSchemaValidator(kfSpaceCRD().spec.versions[0]!.schema.openAPIV3Schema);

  it('accepts any networkConfig string, as Kf does, leaving invalid values to the operator', () => {
    const space = { apiVersion: 'kf.dev/v1alpha1', kind: 'Space', metadata: { name: 's' }, spec: { networkConfig: { appNetworkPolicy: { ingress: 'Bogus', egress: '' } } } };
    expect(validate(space)).toEqual([]);
  });

  it('keeps fields it does not spell out', () => {
    const space = { spec: { runtimeConfig: { env: [] }, networkConfig: { domains: [] } }, status: { conditions: [] } };
    expect(validate(space)).toEqual([]);
  });

  it('still requires networkConfig values to be strings', () => {
    expect(validate({ spec: { networkConfig: { buildNetworkPolicy: { egress: 1 } } } }).map((i) => i.path)).toContain(
      'spec.networkConfig.buildNetworkPolicy.egress',
    );
  });
});
