/** The CustomResourceDefinitions appnetpol ships: its own, and Kf-shaped stand-ins for clusters without Kf. */
import { appNetworkPolicySchema } from './appnetworkpolicy-schema.js';
import type { OpenAPISchema } from './openapi-schema.js';
import { GROUP, KIND, PLURAL, VERSION } from './types.js';

export interface PrinterColumn {
  name: string;
  type: 'string' | 'date';
  jsonPath: string;
  description: string;
}

export interface CustomResourceDefinition {
  apiVersion: 'apiextensions.k8s.io/v1';
  kind: 'CustomResourceDefinition';
  metadata: { name: string; labels?: Record<string, string> };
  spec: {
    group: string;
    scope: 'Namespaced' | 'Cluster';
    names: { kind: string; listKind: string; plural: string; singular: string; shortNames?: string[]; categories?: string[] };
    versions: {
      name: string;
      served: true;
      storage: true;
      schema: { openAPIV3Schema: OpenAPISchema };
      subresources: { status: Record<string, never> };
      additionalPrinterColumns?: PrinterColumn[];
    }[];
  };
}

export interface ShippedCRD {
  /** `product`: appnetpol's own API. `kf-stand-in`: Kf's shape, for tests and clusters without Kf. */
  origin: 'product' | 'kf-stand-in';
  /** Where the generated YAML lives, relative to the repository's crds/ directory. */
  file: string;
  crd: CustomResourceDefinition;
}

interface CRDParams {
  group: string;
  version: string;
  kind: string;
  plural: string;
  scope: 'Namespaced' | 'Cluster';
  schema: OpenAPISchema;
  shortNames?: string[];
  categories?: string[];
  printerColumns?: PrinterColumn[];
}

function buildCRD(p: CRDParams): CustomResourceDefinition {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${p.plural}.${p.group}` },
    spec: {
      group: p.group,
      scope: p.scope,
      names: {
        kind: p.kind,
        listKind: `${p.kind}List`,
        plural: p.plural,
        singular: p.kind.toLowerCase(),
        ...(p.shortNames && { shortNames: p.shortNames }),
        ...(p.categories && { categories: p.categories }),
      },
      versions: [
        {
          name: p.version,
          served: true,
          storage: true,
          schema: { openAPIV3Schema: p.schema },
          subresources: { status: {} },
          ...(p.printerColumns && { additionalPrinterColumns: p.printerColumns }),
        },
      ],
    },
  };
}

function conditionColumn(type: string, description: string): PrinterColumn {
  return { name: type, type: 'string', jsonPath: `.status.conditions[?(@.type=="${type}")].status`, description };
}

export function appNetworkPolicyCRD(): CustomResourceDefinition {
  return buildCRD({
    group: GROUP,
    version: VERSION,
    kind: KIND,
    plural: PLURAL,
    scope: 'Namespaced',
    schema: appNetworkPolicySchema,
    shortNames: ['appnetpol'],
    categories: ['kf'],
    printerColumns: [
      { name: 'App', type: 'string', jsonPath: '.spec.app', description: 'The Kf app the policy is about.' },
      conditionColumn('Ready', 'Accepted and Programmed for the current generation.'),
      conditionColumn('Reachable', 'Every declared flow to and from other apps gets through the policies on both sides.'),
      conditionColumn('Enforced', 'A dataplane that enforces the generated objects is present.'),
      { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp', description: 'Time since creation.' },
    ],
  });
}

const KF_GROUP = 'kf.dev';
const KF_VERSION = 'v1alpha1';
const OPEN_OBJECT: OpenAPISchema = { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };

/**
 * `ingress`/`egress` are plain strings, as in Kf's own CRD: the API server accepts any value and the
 * operator has to cope with invalid ones (keep the last applied policy and say why).
 */
function workloadNetworkPolicy(workload: string): OpenAPISchema {
  const direction = (d: string): OpenAPISchema => ({
    type: 'string',
    description: `${d} policy for the Space's ${workload} pods: PermitAll or DenyAll; empty means PermitAll.`,
  });
  return {
    type: 'object',
    description: `Baseline network policy for the Space's ${workload} pods.`,
    'x-kubernetes-preserve-unknown-fields': true,
    properties: { ingress: direction('Ingress'), egress: direction('Egress') },
  };
}

export function kfSpaceCRD(): CustomResourceDefinition {
  return buildCRD({
    group: KF_GROUP,
    version: KF_VERSION,
    kind: 'Space',
    plural: 'spaces',
    scope: 'Cluster',
    schema: {
      type: 'object',
      description: 'Stand-in for Kf\'s Space: a namespace for apps, with network defaults. Only the fields appnetpol reads are spelled out.',
      properties: {
        apiVersion: { type: 'string' },
        kind: { type: 'string' },
        metadata: { type: 'object' },
        spec: {
          type: 'object',
          'x-kubernetes-preserve-unknown-fields': true,
          properties: {
            networkConfig: {
              type: 'object',
              description: 'Network defaults for the Space.',
              'x-kubernetes-preserve-unknown-fields': true,
              properties: {
                appNetworkPolicy: workloadNetworkPolicy('app'),
                buildNetworkPolicy: workloadNetworkPolicy('build'),
              },
            },
          },
        },
        status: OPEN_OBJECT,
      },
    },
  });
}

export function kfAppCRD(): CustomResourceDefinition {
  return buildCRD({
    group: KF_GROUP,
    version: KF_VERSION,
    kind: 'App',
    plural: 'apps',
    scope: 'Namespaced',
    schema: {
      type: 'object',
      description: "Stand-in for Kf's App. appnetpol reads only its name and uid.",
      properties: {
        apiVersion: { type: 'string' },
        kind: { type: 'string' },
        metadata: { type: 'object' },
        spec: OPEN_OBJECT,
        status: OPEN_OBJECT,
      },
    },
  });
}

export function shippedCRDs(): ShippedCRD[] {
  return [
    { origin: 'product', file: `${PLURAL}.${GROUP}.yaml`, crd: appNetworkPolicyCRD() },
    { origin: 'kf-stand-in', file: 'kf/spaces.kf.dev.yaml', crd: kfSpaceCRD() },
    { origin: 'kf-stand-in', file: 'kf/apps.kf.dev.yaml', crd: kfAppCRD() },
  ];
}
