import { describe, expect, it } from '@jest/globals';
import { appNetworkPolicySchema, LIMITS } from '../../../src/api/appnetworkpolicy-schema.js';
import type { OpenAPISchema } from '../../../src/api/openapi-schema.js';
import { formatInvalidObject, formatIssue, validateAppNetworkPolicy } from '../../../src/api/validate.js';

const NOT_CHECKED =
  '<nil>: Invalid value: null: some validation rules were not checked because the object was invalid; correct the existing errors to complete validation';
const DNS_LABEL = "must be a DNS label: lowercase letters, digits and '-', starting and ending with a letter or digit";
const PEER =
  'a peer sets exactly one of: app (with optional space), selector (with optional namespaceSelector), entity, cidr (with optional except)';

function policy(spec: unknown, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { apiVersion: 'networking.kf.dev/v1alpha1', kind: 'AppNetworkPolicy', metadata: { name: 'web', namespace: 'space-a' }, spec, ...extra };
}

/** A spec for app `web` with one ingress rule made of these peers and ports. */
function ingress(rule: Record<string, unknown>): Record<string, unknown> {
  return { app: 'web', ingress: [rule] };
}

const messages = (obj: unknown) => validateAppNetworkPolicy(obj).map(formatIssue);

describe('validateAppNetworkPolicy accepts', () => {
  it.each<[string, unknown]>([
    ['the design example', {
      app: 'partner-api',
      workload: 'App',
      ingress: [{ from: [{ app: 'billing-backend', space: 'billing-cp' }], ports: [{ protocol: 'TCP', port: 5080 }] }],
      egress: [
        { to: [{ app: 'auth', space: 'global-auth' }], ports: [{ protocol: 'TCP', port: 5555, endPort: 5560 }] },
        { to: [{ entity: 'dns' }] },
      ],
    }],
    ['a selector instead of an app', { selector: { matchLabels: { tier: 'web' } }, workload: 'Build', ingress: [] }],
    ['an empty selector', { selector: {}, egress: [] }],
    ['selector peers with namespaceSelector and matchExpressions', ingress({
      from: [{
        selector: { matchExpressions: [{ key: 'role', operator: 'Exists' }] },
        namespaceSelector: { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'In', values: ['a', 'b'] }] },
      }],
    })],
    ['every entity', ingress({ from: ['dns', 'kube-apiserver', 'ingress-gateway', 'mesh-control-plane', 'world', 'cluster'].map((entity) => ({ entity })) })],
    ['IPv4 and IPv6 CIDRs with except', ingress({
      from: [{ cidr: '10.0.0.0/8', except: ['10.1.0.0/16', '10.2.3.4/32'] }, { cidr: 'fd00::/8', except: ['fd00:1::/32'] }],
    })],
    ['named ports, every protocol and port ranges', ingress({
      ports: [{ port: 'http' }, { port: 'grpc-web' }, { protocol: 'UDP', port: 53 }, { protocol: 'SCTP', port: 1, endPort: 65535 }, { port: 80, endPort: 80 }, { protocol: 'TCP' }],
    })],
    ['distinct rule names next to unnamed rules', { app: 'web', egress: [{ name: 'a' }, {}, { name: 'policy.v1-b' }, {}] }],
    ['a rule with neither peers nor ports', { app: 'web', ingress: [{}], egress: [] }],
  ])('%s', (_name, spec) => {
    expect(messages(policy(spec))).toEqual([]);
  });

  it('a status written by the operator', () => {
    const status = {
      observedGeneration: 2,
      conditions: [{ type: 'Ready', status: 'True', reason: 'Programmed', message: 'ok', observedGeneration: 2, lastTransitionTime: '2025-01-02T03:04:05Z' }],
    };
    expect(messages(policy({ app: 'web', ingress: [] }, { status }))).toEqual([]);
  });
});

/** [case, spec, the API server's messages]: at least one case for every rule of the schema. */
const SPEC_REJECTIONS: [string, unknown, string[]][] = [
    // spec
    ['neither app nor selector', { workload: 'App', egress: [] }, ['spec: Invalid value: set exactly one of app or selector']],
    ['neither ingress nor egress', { app: 'web' }, ['spec: Invalid value: set ingress, egress or both: a policy with neither would say nothing about the traffic of the pods it selects']],
    ['both app and selector', { app: 'web', selector: {}, egress: [] }, ['spec: Invalid value: set exactly one of app or selector']],
    ['an app that is not a DNS label', { app: 'Partner_API', egress: [] }, [`spec.app: Invalid value: "Partner_API": app ${DNS_LABEL}`]],
    ['an app longer than 63 characters', { app: 'a'.repeat(64) }, ['spec.app: Too long: may not be more than 63 bytes', NOT_CHECKED]],
    ['an unknown workload', { app: 'web', workload: 'Job' }, ['spec.workload: Unsupported value: "Job": supported values: "App", "Build"', NOT_CHECKED]],
    ['an app of the wrong type', { app: 5 }, ['spec.app: Invalid value: "integer": spec.app in body must be of type string: "integer"', NOT_CHECKED]],
    ['an unknown field', ingress({ prots: [] }), ['unknown field "spec.ingress[0].prots"']],
    // peers
    ['a space that is not a DNS label', ingress({ from: [{ app: 'api', space: 'Billing' }] }), [`spec.ingress[0].from[0].space: Invalid value: "Billing": space ${DNS_LABEL}`]],
    ['a peer app that is not a DNS label', { app: 'web', egress: [{ to: [{ app: '-api' }] }] }, [`spec.egress[0].to[0].app: Invalid value: "-api": app ${DNS_LABEL}`]],
    ['an empty peer', ingress({ from: [{}] }), [`spec.ingress[0].from[0]: Invalid value: ${PEER}`]],
    ['a peer with two kinds', ingress({ from: [{ app: 'api', entity: 'dns' }] }), [`spec.ingress[0].from[0]: Invalid value: ${PEER}`]],
    ['space without app', ingress({ from: [{ space: 'billing', entity: 'dns' }] }), [`spec.ingress[0].from[0]: Invalid value: ${PEER}`]],
    ['namespaceSelector without selector', ingress({ from: [{ namespaceSelector: {} }] }), [`spec.ingress[0].from[0]: Invalid value: ${PEER}`]],
    ['except without cidr', { app: 'web', egress: [{ to: [{ app: 'api' }, { entity: 'world', except: ['10.0.0.0/8'] }] }] }, [`spec.egress[0].to[1]: Invalid value: ${PEER}`]],
    ['an unknown entity', ingress({ from: [{ entity: 'moon' }] }), [
      'spec.ingress[0].from[0].entity: Unsupported value: "moon": supported values: "dns", "kube-apiserver", "ingress-gateway", "mesh-control-plane", "world", "cluster"',
      NOT_CHECKED,
    ]],
    ['a malformed cidr', ingress({ from: [{ cidr: '10.0.0/8' }] }), ['spec.ingress[0].from[0].cidr: Invalid value: "10.0.0/8": cidr must be an IPv4 or IPv6 CIDR such as 10.0.0.0/8 or fd00::/8']],
    ['a cidr with a prefix too long', ingress({ from: [{ cidr: '10.0.0.0/33' }] }), ['spec.ingress[0].from[0].cidr: Invalid value: "10.0.0.0/33": cidr must be an IPv4 or IPv6 CIDR such as 10.0.0.0/8 or fd00::/8']],
    ['except outside cidr', ingress({ from: [{ cidr: '10.0.0.0/8', except: ['11.0.0.0/16'] }] }), ['spec.ingress[0].from[0].except: Invalid value: except entries must be CIDRs strictly inside cidr, with no bits set after their prefix length']],
    ['except equal to cidr', ingress({ from: [{ cidr: '10.0.0.0/8', except: ['10.0.0.0/8'] }] }), ['spec.ingress[0].from[0].except: Invalid value: except entries must be CIDRs strictly inside cidr, with no bits set after their prefix length']],
    ['except of the other IP family', ingress({ from: [{ cidr: '10.0.0.0/8', except: ['fd00::/16'] }] }), ['spec.ingress[0].from[0].except: Invalid value: except entries must be CIDRs strictly inside cidr, with no bits set after their prefix length']],
    ['a cidr with bits set after its prefix', ingress({ from: [{ cidr: '10.1.2.3/8' }] }), ['spec.ingress[0].from[0].cidr: Invalid value: "10.1.2.3/8": cidr must not have bits set after its prefix length: write the network address, such as 10.0.0.0/8 rather than 10.1.2.3/8']],
    ['an IPv6 cidr with bits set after its prefix', ingress({ from: [{ cidr: 'fd00::1/8' }] }), ['spec.ingress[0].from[0].cidr: Invalid value: "fd00::1/8": cidr must not have bits set after its prefix length: write the network address, such as 10.0.0.0/8 rather than 10.1.2.3/8']],
    ['an except with bits set after its prefix', ingress({ from: [{ cidr: '10.0.0.0/8', except: ['10.1.0.1/16'] }] }), ['spec.ingress[0].from[0].except: Invalid value: except entries must be CIDRs strictly inside cidr, with no bits set after their prefix length']],
    ['a malformed except', ingress({ from: [{ cidr: '10.0.0.0/8', except: ['10.1.0.0'] }] }), ['spec.ingress[0].from[0].except: Invalid value: except entries must be CIDRs strictly inside cidr, with no bits set after their prefix length']],
    // ports
    ['port 0', ingress({ ports: [{ port: 0 }] }), ['spec.ingress[0].ports[0].port: Invalid value: 0: spec.ingress[0].ports[0].port in body should be greater than or equal to 1']],
    ['port 65536', ingress({ ports: [{ port: 65536 }] }), ['spec.ingress[0].ports[0].port: Invalid value: 65536: spec.ingress[0].ports[0].port in body should be less than or equal to 65535']],
    ['a port name without a letter', ingress({ ports: [{ port: '8080' }] }), [
      `spec.ingress[0].ports[0].port: Invalid value: "8080": spec.ingress[0].ports[0].port in body should match '^([a-z0-9]+-)*[0-9]*[a-z][a-z0-9]*(-[a-z0-9]+)*$'`,
    ]],
    ['a port name with a double dash', ingress({ ports: [{ port: 'web--ui' }] }), [
      `spec.ingress[0].ports[0].port: Invalid value: "web--ui": spec.ingress[0].ports[0].port in body should match '^([a-z0-9]+-)*[0-9]*[a-z][a-z0-9]*(-[a-z0-9]+)*$'`,
    ]],
    ['a port name longer than 15 characters', ingress({ ports: [{ port: 'abcdefghijklmnop' }] }), ['spec.ingress[0].ports[0].port: Too long: may not be more than 15 bytes', NOT_CHECKED]],
    ['a port of the wrong type', ingress({ ports: [{ port: true }] }), [
      'spec.ingress[0].ports[0].port: Invalid value: "boolean": spec.ingress[0].ports[0].port in body must be of type integer,string: "boolean"',
      NOT_CHECKED,
    ]],
    ['an unknown protocol', ingress({ ports: [{ protocol: 'ICMP' }] }), ['spec.ingress[0].ports[0].protocol: Unsupported value: "ICMP": supported values: "TCP", "UDP", "SCTP"', NOT_CHECKED]],
    ['endPort below port', { app: 'web', egress: [{ ports: [{ port: 443 }, { port: 5555, endPort: 5000 }] }] }, ['spec.egress[0].ports[1]: Invalid value: endPort must be greater than or equal to port']],
    ['endPort with a named port', ingress({ ports: [{ port: 'http', endPort: 90 }] }), ['spec.ingress[0].ports[0]: Invalid value: endPort requires port to be a number']],
    ['endPort without port', ingress({ ports: [{ endPort: 90 }] }), ['spec.ingress[0].ports[0]: Invalid value: endPort requires port to be a number']],
    ['endPort out of range', ingress({ ports: [{ port: 1, endPort: 70000 }] }), ['spec.ingress[0].ports[0].endPort: Invalid value: 70000: spec.ingress[0].ports[0].endPort in body should be less than or equal to 65535']],
    // rules
    ['a rule name with capitals', ingress({ name: 'Allow_Billing' }), [
      "spec.ingress[0].name: Invalid value: \"Allow_Billing\": name must be lowercase letters, digits, '-' or '.', starting and ending with a letter or digit",
    ]],
    ['duplicate ingress rule names', { app: 'web', ingress: [{ name: 'a' }, {}, { name: 'a' }] }, ['spec.ingress: Invalid value: name must be unique among the ingress rules']],
    ['duplicate egress rule names', { app: 'web', egress: [{ name: 'x' }, { name: 'x' }] }, ['spec.egress: Invalid value: name must be unique among the egress rules']],
    ['too many ports', ingress({ ports: Array.from({ length: 33 }, (_, i) => ({ port: i + 1 })) }), ['spec.ingress[0].ports: Too many: 33: must have at most 32 items', NOT_CHECKED]],
    ['too many rules', { app: 'web', egress: Array.from({ length: 201 }, () => ({})) }, ['spec.egress: Too many: 201: must have at most 200 items', NOT_CHECKED]],
    // label selectors
    ['In without values', { selector: { matchExpressions: [{ key: 'tier', operator: 'In' }] }, egress: [] }, [
      'spec.selector.matchExpressions[0]: Invalid value: values must be non-empty when operator is In or NotIn, and empty when operator is Exists or DoesNotExist',
    ]],
    ['Exists with values', { selector: { matchExpressions: [{ key: 'tier', operator: 'Exists', values: ['x'] }] }, egress: [] }, [
      'spec.selector.matchExpressions[0]: Invalid value: values must be non-empty when operator is In or NotIn, and empty when operator is Exists or DoesNotExist',
    ]],
    ['an unknown operator', { selector: { matchExpressions: [{ key: 'tier', operator: 'Is', values: ['x'] }] } }, [
      'spec.selector.matchExpressions[0].operator: Unsupported value: "Is": supported values: "In", "NotIn", "Exists", "DoesNotExist"',
      NOT_CHECKED,
    ]],
    ['a label value with spaces', { selector: { matchLabels: { tier: 'front end' } }, egress: [] }, [
      "spec.selector.matchLabels.tier: Invalid value: \"front end\": spec.selector.matchLabels.tier in body should match '^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$'",
    ]],
    ['a matchExpression without key', { selector: { matchExpressions: [{ operator: 'Exists' }] } }, ['spec.selector.matchExpressions[0].key: Required value', NOT_CHECKED]],
];

describe('validateAppNetworkPolicy rejects, with the message the user sees', () => {
  it.each(SPEC_REJECTIONS)('%s', (_name, spec, expected) => {
    expect(messages(policy(spec))).toEqual(expected);
  });

  it.each<[string, Record<string, unknown>, string[]]>([
    ['a missing spec', { spec: undefined }, ['spec: Required value', NOT_CHECKED]],
    ['another apiVersion', { apiVersion: 'networking.kf.dev/v1' }, ['apiVersion: Unsupported value: "networking.kf.dev/v1": supported values: "networking.kf.dev/v1alpha1"']],
    ['a missing kind', { kind: undefined }, ['kind: Required value']],
    ['a missing name', { metadata: { namespace: 'a' } }, ['metadata.name: Required value: name or generateName is required']],
    ['a name that is not a DNS subdomain', { metadata: { name: 'Web_1' } }, [
      "metadata.name: Invalid value: \"Web_1\": must be a lowercase RFC 1123 subdomain: at most 253 lowercase letters, digits, '-' and '.', starting and ending with a letter or digit",
    ]],
    ['a condition without type', { status: { conditions: [{ status: 'True', reason: 'R', message: 'm' }] } }, ['status.conditions[0].type: Required value', NOT_CHECKED]],
    ['a condition with a malformed time', { status: { conditions: [{ type: 'Ready', status: 'True', reason: 'R', message: 'm', lastTransitionTime: 'yesterday' }] } }, [
      'status.conditions[0].lastTransitionTime: Invalid value: "yesterday": status.conditions[0].lastTransitionTime in body must be of type date-time: "yesterday"',
      NOT_CHECKED,
    ]],
  ])('%s', (_name, override, expected) => {
    const obj = JSON.parse(JSON.stringify({ ...policy({ app: 'web', ingress: [] }), ...override })) as unknown;
    expect(messages(obj)).toEqual(expected);
  });

  it('something that is not an object', () => {
    expect(messages(['a'])).toEqual(['<nil>: Invalid value: null: an AppNetworkPolicy must be an object']);
  });

  it('reports every failing rule of one object, in document order', () => {
    const spec = { app: 'web', selector: {}, ingress: [{ from: [{}], ports: [{ port: 2, endPort: 1 }] }] };
    expect(messages(policy(spec))).toEqual([
      'spec: Invalid value: set exactly one of app or selector',
      `spec.ingress[0].from[0]: Invalid value: ${PEER}`,
      'spec.ingress[0].ports[0]: Invalid value: endPort must be greater than or equal to port',
    ]);
  });
});

describe('validation details', () => {
  it('does not modify its argument, though it applies defaults while validating', () => {
    const obj = policy(ingress({ ports: [{ port: 80 }] }));
    const before = JSON.stringify(obj);
    validateAppNetworkPolicy(obj);
    expect(JSON.stringify(obj)).toBe(before);
  });

  it('renders the whole rejection like the API server', () => {
    const issues = validateAppNetworkPolicy(policy({ app: 'web', selector: {}, ingress: [{ from: [{}] }] }));
    expect(formatInvalidObject('AppNetworkPolicy.networking.kf.dev', 'web', issues)).toBe(
      `AppNetworkPolicy.networking.kf.dev "web" is invalid: [spec: Invalid value: set exactly one of app or selector, spec.ingress[0].from[0]: Invalid value: ${PEER}]`,
    );
    expect(formatInvalidObject('AppNetworkPolicy.networking.kf.dev', 'web', issues.slice(0, 1))).toBe(
      'AppNetworkPolicy.networking.kf.dev "web" is invalid: spec: Invalid value: set exactly one of app or selector',
    );
  });

  it('has a rejection case for the message of every CEL rule in the schema', () => {
    const ruleMessages = new Set<string>();
    const collect = (schema: OpenAPISchema | undefined): void => {
      if (!schema) return;
      for (const rule of schema['x-kubernetes-validations'] ?? []) ruleMessages.add(rule.message);
      Object.values(schema.properties ?? {}).forEach(collect);
      collect(schema.items);
      collect(schema.additionalProperties);
    };
    collect(appNetworkPolicySchema);
    const expected = SPEC_REJECTIONS.flatMap(([, , lines]) => lines);
    const untested = [...ruleMessages].filter((message) => !expected.some((line) => line.endsWith(`: ${message}`)));
    expect(untested).toEqual([]);
  });

  it('accepts a policy at every list limit', () => {
    const rules = Array.from({ length: LIMITS.rulesPerDirection }, (_, i) => ({
      name: `rule-${i}`,
      to: Array.from({ length: LIMITS.peersPerRule }, (_, j) => ({ app: `app-${j}`, space: `space-${i}` })),
      ports: [{ port: 1000 + i, endPort: 2000 + i }],
    }));
    expect(validateAppNetworkPolicy(policy({ app: 'web', egress: rules }))).toEqual([]);
  });
});
