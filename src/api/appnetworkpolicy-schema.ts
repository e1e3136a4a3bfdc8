/**
 * The one schema of AppNetworkPolicy: the CRD is generated from it and `appnetpol lint` validates
 * against it. List sizes and string lengths are bounds the API server's CEL cost estimate relies on;
 * raising one multiplies the estimated cost of every rule below it.
 */
import type { OpenAPISchema } from './openapi-schema.js';

/**
 * Rule names are unique within a direction. Linear: one pass collects the names and distinct() drops
 * repeats; comparing every rule with every other made a 200-rule write cost ~10x one without names.
 * distinct() (CEL's list extension) is accepted in new CRDs from Kubernetes 1.35; the component
 * config/components/kubernetes-1.31 puts the pairwise form back for older API servers.
 */
export const UNIQUE_RULE_NAMES = {
  linear: 'self.filter(r, has(r.name)).map(r, r.name).distinct().size() == self.filter(r, has(r.name)).size()',
  pairwise: 'self.all(r, !has(r.name) || self.exists_one(o, has(o.name) && o.name == r.name))',
};

export const LIMITS = {
  /** Above Cloud Foundry's default quota of 150 policies per source app. */
  rulesPerDirection: 200,
  peersPerRule: 16,
  portsPerRule: 32,
  exceptPerPeer: 8,
  matchLabels: 32,
  matchExpressions: 16,
  matchExpressionValues: 64,
  conditions: 16,
} as const;

const DNS_LABEL = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';
/** IANA_SVC_NAME: alphanumeric words joined by single '-', at least one letter. */
const NAMED_PORT = '^([a-z0-9]+-)*[0-9]*[a-z][a-z0-9]*(-[a-z0-9]+)*$';
const RULE_NAME = '^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$';
const LABEL_KEY = '^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$';
const LABEL_VALUE = '^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$';

function dnsLabel(field: string, description: string): OpenAPISchema {
  return {
    type: 'string',
    description,
    maxLength: 63,
    'x-kubernetes-validations': [
      {
        rule: `self.matches('${DNS_LABEL}')`,
        message: `${field} must be a DNS label: lowercase letters, digits and '-', starting and ending with a letter or digit`,
      },
    ],
  };
}

function labelSelector(description: string): OpenAPISchema {
  return {
    type: 'object',
    description: `${description} An empty selector ({}) matches everything.`,
    properties: {
      matchLabels: {
        type: 'object',
        description: 'Labels that must all be present with exactly these values.',
        maxProperties: LIMITS.matchLabels,
        additionalProperties: { type: 'string', maxLength: 63, pattern: LABEL_VALUE },
      },
      matchExpressions: {
        type: 'array',
        description: 'Label requirements that must all hold.',
        maxItems: LIMITS.matchExpressions,
        'x-kubernetes-list-type': 'atomic',
        items: {
          type: 'object',
          description: 'One label requirement.',
          required: ['key', 'operator'],
          properties: {
            key: { type: 'string', description: 'The label key.', maxLength: 317, pattern: LABEL_KEY },
            operator: {
              type: 'string',
              description: 'In, NotIn, Exists or DoesNotExist.',
              enum: ['In', 'NotIn', 'Exists', 'DoesNotExist'],
            },
            values: {
              type: 'array',
              description: 'Label values; non-empty for In and NotIn, empty for Exists and DoesNotExist.',
              maxItems: LIMITS.matchExpressionValues,
              'x-kubernetes-list-type': 'atomic',
              items: { type: 'string', maxLength: 63, pattern: LABEL_VALUE },
            },
          },
          'x-kubernetes-validations': [
            {
              rule: "self.operator in ['In', 'NotIn'] ? has(self.values) && size(self.values) > 0 : !has(self.values) || size(self.values) == 0",
              message: 'values must be non-empty when operator is In or NotIn, and empty when operator is Exists or DoesNotExist',
            },
          ],
        },
      },
    },
  };
}

const PEER_KINDS =
  '(has(self.app) ? 1 : 0) + (has(self.selector) ? 1 : 0) + (has(self.entity) ? 1 : 0) + (has(self.cidr) ? 1 : 0) == 1';

function peer(direction: 'ingress' | 'egress'): OpenAPISchema {
  const who = direction === 'ingress' ? 'may connect to the app' : 'the app may connect to';
  return {
    type: 'object',
    description: `One set of endpoints that ${who}. Set exactly one of: app (with optional space), selector (with optional namespaceSelector), entity, cidr (with optional except).`,
    properties: {
      app: dnsLabel('app', "A Kf app: pods labelled app.kubernetes.io/name=<app> in the app's space."),
      space: dnsLabel('space', "The app's space (namespace). Omitted means the policy's own namespace."),
      selector: labelSelector('Pods selected by label, in the namespaces chosen by namespaceSelector.'),
      namespaceSelector: labelSelector(
        "Namespaces selected by label for selector; omitted means the policy's own namespace. Use kubernetes.io/metadata.name to name a namespace: tenants cannot set it.",
      ),
      entity: {
        type: 'string',
        description:
          'A platform endpoint, expanded from operator configuration: dns (cluster DNS), kube-apiserver, ingress-gateway, mesh-control-plane, world (addresses outside the cluster ranges) or cluster (every pod). A rule with an entity peer and no ports gets the entity\'s own ports.',
        enum: ['dns', 'kube-apiserver', 'ingress-gateway', 'mesh-control-plane', 'world', 'cluster'],
      },
      cidr: {
        type: 'string',
        description: 'An IPv4 or IPv6 address range, e.g. 10.0.0.0/8.',
        maxLength: 43,
        'x-kubernetes-validations': [
          { rule: 'isCIDR(self)', message: 'cidr must be an IPv4 or IPv6 CIDR such as 10.0.0.0/8 or fd00::/8' },
          // A NetworkPolicy refuses host bits after the prefix, so the policy must too.
          {
            rule: '!isCIDR(self) || cidr(self) == cidr(self).masked()',
            message: 'cidr must not have bits set after its prefix length: write the network address, such as 10.0.0.0/8 rather than 10.1.2.3/8',
          },
        ],
      },
      except: {
        type: 'array',
        description: 'Ranges inside cidr to leave out.',
        maxItems: LIMITS.exceptPerPeer,
        'x-kubernetes-list-type': 'atomic',
        items: { type: 'string', maxLength: 43 },
      },
    },
    'x-kubernetes-validations': [
      {
        rule: `${PEER_KINDS} && (!has(self.space) || has(self.app)) && (!has(self.namespaceSelector) || has(self.selector)) && (!has(self.except) || has(self.cidr))`,
        message:
          'a peer sets exactly one of: app (with optional space), selector (with optional namespaceSelector), entity, cidr (with optional except)',
      },
      {
        rule: '!has(self.except) || !has(self.cidr) || !isCIDR(self.cidr) || self.except.all(e, isCIDR(e) && cidr(e) == cidr(e).masked() && cidr(self.cidr).containsCIDR(e) && cidr(e).prefixLength() > cidr(self.cidr).prefixLength())',
        message: 'except entries must be CIDRs strictly inside cidr, with no bits set after their prefix length',
        fieldPath: '.except',
      },
    ],
  };
}

const PORT_SPEC: OpenAPISchema = {
  type: 'object',
  description: 'A port or port range. Without port it means every port of the protocol.',
  properties: {
    protocol: {
      type: 'string',
      description: 'TCP, UDP or SCTP.',
      enum: ['TCP', 'UDP', 'SCTP'],
      default: 'TCP',
    },
    port: {
      description:
        'A port number (1-65535) or the name of a container port (IANA_SVC_NAME: at most 15 lowercase letters, digits and single dashes, with at least one letter).',
      'x-kubernetes-int-or-string': true,
      anyOf: [{ type: 'integer' }, { type: 'string' }],
      minimum: 1,
      maximum: 65535,
      maxLength: 15,
      pattern: NAMED_PORT,
    },
    endPort: {
      type: 'integer',
      description: 'Last port of a range starting at port; needs a numeric port.',
      format: 'int64',
      minimum: 1,
      maximum: 65535,
    },
  },
  'x-kubernetes-validations': [
    {
      rule: '!has(self.endPort) || (has(self.port) && type(self.port) == int)',
      message: 'endPort requires port to be a number',
    },
    {
      rule: '!has(self.endPort) || !has(self.port) || type(self.port) != int || self.endPort >= self.port',
      message: 'endPort must be greater than or equal to port',
    },
  ],
};

function rules(direction: 'ingress' | 'egress'): OpenAPISchema {
  const peersField = direction === 'ingress' ? 'from' : 'to';
  const summary =
    direction === 'ingress'
      ? 'Who may connect to the app. Present (even empty) means ingress is restricted to these rules.'
      : 'Whom the app may connect to. Present (even empty) means egress is restricted to these rules.';
  return {
    type: 'array',
    description: summary,
    maxItems: LIMITS.rulesPerDirection,
    'x-kubernetes-list-type': 'atomic',
    items: {
      type: 'object',
      description: `One ${direction} rule: traffic ${direction === 'ingress' ? 'from' : 'to'} any of the peers on any of the ports.`,
      properties: {
        name: {
          type: 'string',
          description: `Optional name, unique among the ${direction} rules, shown in status messages and Events.`,
          maxLength: 128,
          'x-kubernetes-validations': [
            {
              rule: `self.matches('${RULE_NAME}')`,
              message: "name must be lowercase letters, digits, '-' or '.', starting and ending with a letter or digit",
            },
          ],
        },
        [peersField]: {
          type: 'array',
          description: 'The peers. Omitted or empty means every peer.',
          maxItems: LIMITS.peersPerRule,
          'x-kubernetes-list-type': 'atomic',
          items: peer(direction),
        },
        ports: {
          type: 'array',
          description: "The ports on the receiving side. Omitted or empty means every port (or an entity's own ports).",
          maxItems: LIMITS.portsPerRule,
          'x-kubernetes-list-type': 'atomic',
          items: PORT_SPEC,
        },
      },
    },
    'x-kubernetes-validations': [{ rule: UNIQUE_RULE_NAMES.linear, message: `name must be unique among the ${direction} rules` }],
  };
}

const CONDITION: OpenAPISchema = {
  type: 'object',
  description: 'One aspect of the policy\'s state.',
  required: ['type', 'status', 'reason', 'message'],
  properties: {
    type: {
      type: 'string',
      description: 'Accepted, ResolvedRefs, Programmed, Enforced or Ready.',
      maxLength: 316,
    },
    status: { type: 'string', description: 'True, False or Unknown.', enum: ['True', 'False', 'Unknown'] },
    reason: { type: 'string', description: 'A CamelCase reason for the status.', maxLength: 1024 },
    message: { type: 'string', description: 'What a person should know about this condition.', maxLength: 32768 },
    observedGeneration: {
      type: 'integer',
      description: 'The metadata.generation this condition was computed from.',
      format: 'int64',
      minimum: 0,
    },
    lastTransitionTime: {
      type: 'string',
      description: 'When status last changed.',
      format: 'date-time',
    },
  },
};

export const appNetworkPolicySchema: OpenAPISchema = {
  type: 'object',
  description:
    "AppNetworkPolicy says, for one app in its own namespace, who may reach it and whom it may reach. It becomes a NetworkPolicy (and Istio objects when the mesh is present). NetworkPolicies only add allows: whether a listed flow is the only one allowed depends on the Space's baseline.",
  required: ['spec'],
  properties: {
    apiVersion: { type: 'string', description: 'networking.kf.dev/v1alpha1' },
    kind: { type: 'string', description: 'AppNetworkPolicy' },
    metadata: { type: 'object' },
    spec: {
      type: 'object',
      description: 'The app and its allowed traffic. Set exactly one of app or selector.',
      properties: {
        app: dnsLabel('app', 'The Kf app this policy is about: pods labelled app.kubernetes.io/name=<app>.'),
        selector: labelSelector('The pods this policy is about, for workloads that are not Kf apps.'),
        workload: {
          type: 'string',
          description: "Which of the app's pods: App (kf.dev/networkpolicy=app) or Build (kf.dev/networkpolicy=build).",
          enum: ['App', 'Build'],
          default: 'App',
        },
        ingress: rules('ingress'),
        egress: rules('egress'),
      },
      'x-kubernetes-validations': [
        { rule: 'has(self.app) != has(self.selector)', message: 'set exactly one of app or selector' },
        {
          rule: 'has(self.ingress) || has(self.egress)',
          message: 'set ingress, egress or both: a policy with neither would say nothing about the traffic of the pods it selects',
        },
      ],
    },
    status: {
      type: 'object',
      description: 'Written by the operator.',
      properties: {
        observedGeneration: {
          type: 'integer',
          description: 'The metadata.generation the operator last acted on.',
          format: 'int64',
          minimum: 0,
        },
        conditions: {
          type: 'array',
          description: 'Accepted, ResolvedRefs, Programmed, Enforced and Ready.',
          maxItems: LIMITS.conditions,
          'x-kubernetes-list-type': 'map',
          'x-kubernetes-list-map-keys': ['type'],
          items: CONDITION,
        },
      },
    },
  },
};
