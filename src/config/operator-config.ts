/**
 * Operator configuration: defaults, then a YAML/JSON config file, then environment, then flags.
 * Validated with ajv before anything touches the cluster.
 */
import { Ajv, type ErrorObject } from 'ajv';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { parseCIDR } from '../api/cidr.js';
import { DATAPLANE_CONFIG_SCHEMA, DEFAULT_DATAPLANE, type DataplaneConfig } from './dataplanes.js';
import { DEFAULT_ENTITIES, type EntityConfig } from './entities.js';
import { DEFAULT_ESSENTIALS, type EssentialsConfig } from './essentials.js';
import { DEFAULT_KUBE_API_CONFIG, KUBE_API_CONFIG_PROPERTIES, KUBE_API_KEYS, type KubeApiConfig } from './kube-api.js';
import { DEFAULT_MESH, MESH_CONFIG_SCHEMA, type MeshConfig } from './mesh.js';

export interface OperatorConfig extends KubeApiConfig {
  /** Parallel reconciles per controller. */
  concurrency: number;
  /** Every object is reconciled again this often, even without events. */
  resyncSeconds: number;
  /** host:port for /healthz, /readyz and /metrics. */
  healthAddress: string;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';
  entities: EntityConfig;
  /** Essentials policies of DenyAll Spaces (see docs/spaces.md). */
  essentials: EssentialsConfig;
  /** Istio output (see docs/istio.md). */
  mesh: MeshConfig;
  /** How the Enforced condition learns whether NetworkPolicy is enforced (see docs/appnetworkpolicy.md). */
  dataplane: DataplaneConfig;
  /** Run the controllers only while holding the leader Lease (see docs/operations.md). */
  leaderElect: boolean;
  /** Namespace of the Lease; unset means $POD_NAMESPACE, else "default". */
  leaderElectionNamespace?: string;
  leaderElectionName: string;
  leaseDurationSeconds: number;
  renewDeadlineSeconds: number;
  retryPeriodSeconds: number;
}

export const DEFAULT_CONFIG: OperatorConfig = {
  concurrency: 4,
  resyncSeconds: 600,
  healthAddress: '0.0.0.0:8081',
  logLevel: 'info',
  entities: DEFAULT_ENTITIES,
  essentials: DEFAULT_ESSENTIALS,
  mesh: DEFAULT_MESH,
  dataplane: DEFAULT_DATAPLANE,
  leaderElect: true,
  leaderElectionName: 'appnetpol-controller',
  // Measured (docs/reliability.md): failover after a SIGKILL within 10 s, one Lease write per 2 s.
  leaseDurationSeconds: 8,
  renewDeadlineSeconds: 5,
  retryPeriodSeconds: 2,
  ...DEFAULT_KUBE_API_CONFIG,
};

const selector = {
  type: 'object',
  properties: {
    matchLabels: { type: 'object', additionalProperties: { type: 'string' } },
    matchExpressions: { type: 'array', items: { type: 'object', required: ['key', 'operator'] } },
  },
  additionalProperties: false,
};
const port = {
  type: 'object',
  properties: { protocol: { enum: ['TCP', 'UDP', 'SCTP'] }, port: { type: ['integer', 'string'] }, endPort: { type: 'integer' } },
  additionalProperties: false,
};
const podEntity = {
  type: 'object',
  required: ['namespace', 'podSelector'],
  properties: { namespace: { type: 'string', minLength: 1 }, podSelector: selector, ports: { type: 'array', items: port } },
  additionalProperties: false,
};

export const CONFIG_SCHEMA = {
  type: 'object',
  properties: {
    concurrency: { type: 'integer', minimum: 1, maximum: 256 },
    resyncSeconds: { type: 'integer', minimum: 10 },
    healthAddress: { type: 'string', pattern: '^[^:]*:[0-9]{1,5}$' },
    logLevel: { enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] },
    entities: {
      type: 'object',
      properties: {
        dns: podEntity,
        ingressGateway: podEntity,
        meshControlPlane: podEntity,
        clusterCIDRs: { type: 'array', items: { type: 'string' } },
        clusterDomain: { type: 'string', pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$', maxLength: 253 },
      },
      additionalProperties: false,
    },
    essentials: {
      type: 'object',
      properties: {
        enabled: { type: 'boolean' },
        buildEgress: {
          type: 'array',
          items: {
            type: 'object',
            required: ['cidr'],
            properties: { cidr: { type: 'string', minLength: 1 }, ports: { type: 'array', items: port } },
            additionalProperties: false,
          },
        },
      },
      additionalProperties: false,
    },
    mesh: MESH_CONFIG_SCHEMA,
    dataplane: DATAPLANE_CONFIG_SCHEMA,
    leaderElect: { type: 'boolean' },
    leaderElectionNamespace: { type: 'string', pattern: '^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$' },
    leaderElectionName: { type: 'string', pattern: '^[a-z0-9]([-.a-z0-9]{0,251}[a-z0-9])?$' },
    leaseDurationSeconds: { type: 'integer', minimum: 2 },
    renewDeadlineSeconds: { type: 'integer', minimum: 1 },
    retryPeriodSeconds: { type: 'integer', minimum: 1 },
    ...KUBE_API_CONFIG_PROPERTIES,
  },
  additionalProperties: false,
} as const;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/**
 * Checks a merged configuration against its schema, throwing the ConfigError the user sees. validateSchema off:
 * test/unit/api/json-schemas.test.ts checks the schemas instead of every start; optimize off: compiling takes a
 * third less time, for a check that runs once.
 */
export function configCheck(schema: object): (config: unknown) => void {
  const validate = new Ajv({ allErrors: true, allowUnionTypes: true, validateSchema: false, code: { optimize: false } }).compile(schema);
  return (config) => {
    if (!validate(config)) throw new ConfigError(`invalid configuration: ${formatErrors(validate.errors ?? [])}`);
  };
}

const checkConfig = configCheck(CONFIG_SCHEMA);

/** Environment variables and the config keys they set. */
export const ENVIRONMENT: Record<string, keyof OperatorConfig> = {
  APPNETPOL_CONCURRENCY: 'concurrency',
  APPNETPOL_RESYNC_SECONDS: 'resyncSeconds',
  APPNETPOL_HEALTH_ADDRESS: 'healthAddress',
  APPNETPOL_LOG_LEVEL: 'logLevel',
  APPNETPOL_LEADER_ELECT: 'leaderElect',
  APPNETPOL_LEADER_ELECTION_NAMESPACE: 'leaderElectionNamespace',
  APPNETPOL_LEADER_ELECTION_NAME: 'leaderElectionName',
  APPNETPOL_LEASE_DURATION_SECONDS: 'leaseDurationSeconds',
  APPNETPOL_RENEW_DEADLINE_SECONDS: 'renewDeadlineSeconds',
  APPNETPOL_RETRY_PERIOD_SECONDS: 'retryPeriodSeconds',
  APPNETPOL_KUBE_API_QPS: 'kubeApiQps',
  APPNETPOL_KUBE_API_BURST: 'kubeApiBurst',
  APPNETPOL_KUBE_API_TIMEOUT_SECONDS: 'kubeApiTimeoutSeconds',
};

export function loadConfig(sources: { file?: string; env?: NodeJS.ProcessEnv; flags?: Partial<Record<keyof OperatorConfig, string | number>> }): OperatorConfig {
  const fromFile = sources.file ? readConfigFile(sources.file) : {};
  const fromEnv: Record<string, unknown> = {};
  for (const [name, key] of Object.entries(ENVIRONMENT)) {
    const value = sources.env?.[name];
    if (value !== undefined && value !== '') fromEnv[key] = coerce(key, value);
  }
  const fromFlags: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(sources.flags ?? {})) {
    if (value !== undefined) fromFlags[key] = coerce(key as keyof OperatorConfig, String(value));
  }
  const merged = { ...fromFile, ...fromEnv, ...fromFlags };
  checkConfig(merged);
  const partial = merged as Partial<OperatorConfig>;
  const entities = { ...DEFAULT_ENTITIES, ...(partial.entities ?? {}) };
  const essentials = { ...DEFAULT_ESSENTIALS, ...(partial.essentials ?? {}) };
  const notCidr = (path: string, cidr: string) => (parseCIDR(cidr) ? [] : [`${path}: "${cidr}" is not a CIDR such as 10.20.0.0/16`]);
  const badCidrs = [
    ...entities.clusterCIDRs.flatMap((cidr, i) => notCidr(`entities.clusterCIDRs.${i}`, cidr)),
    ...essentials.buildEgress.flatMap((e, i) => notCidr(`essentials.buildEgress.${i}.cidr`, e.cidr)),
  ];
  if (badCidrs.length) throw new ConfigError(`invalid configuration: ${badCidrs.join('; ')}`);
  const mesh = { ...DEFAULT_MESH, ...(partial.mesh ?? {}) };
  const dataplane = { ...DEFAULT_DATAPLANE, ...(partial.dataplane ?? {}) };
  const config = { ...DEFAULT_CONFIG, ...partial, entities, essentials, mesh, dataplane };
  checkLeaseTimings(config);
  return config;
}

/** A leader must give up before followers take over, and get several renewal attempts before that. */
function checkLeaseTimings(config: OperatorConfig): void {
  if (!config.leaderElect) return;
  const { leaseDurationSeconds: duration, renewDeadlineSeconds: deadline, retryPeriodSeconds: retry } = config;
  if (deadline >= duration) throw new ConfigError(`invalid configuration: renewDeadlineSeconds (${deadline}) must be less than leaseDurationSeconds (${duration})`);
  if (retry >= deadline) throw new ConfigError(`invalid configuration: retryPeriodSeconds (${retry}) must be less than renewDeadlineSeconds (${deadline})`);
}

export function readConfigFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read config file ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = parse(text);
  } catch (error) {
    throw new ConfigError(`config file ${file} is not valid YAML: ${(error as Error).message}`);
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) throw new ConfigError(`config file ${file} must hold a mapping of settings`);
  return parsed as Record<string, unknown>;
}

const NUMBER_KEYS = new Set<keyof OperatorConfig>(['concurrency', 'resyncSeconds', 'leaseDurationSeconds', 'renewDeadlineSeconds', 'retryPeriodSeconds', ...KUBE_API_KEYS]);
const BOOLEAN_KEYS = new Set<keyof OperatorConfig>(['leaderElect']);

/** Strings from flags and environment become numbers and booleans where the schema wants them; anything else is left for ajv to report. */
function coerce(key: keyof OperatorConfig, value: string): unknown {
  if (NUMBER_KEYS.has(key)) return /^-?\d+$/.test(value) ? Number(value) : value;
  if (BOOLEAN_KEYS.has(key)) return value === 'true' ? true : value === 'false' ? false : value;
  return value;
}

function formatErrors(errors: ErrorObject[]): string {
  return errors
    .map((e) => {
      const at = e.instancePath ? e.instancePath.slice(1).replaceAll('/', '.') : '(top level)';
      if (e.keyword === 'additionalProperties') return `${at}: unknown setting "${(e.params as { additionalProperty: string }).additionalProperty}"`;
      if (e.keyword === 'enum') return `${at}: must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.join(', ')}`;
      return `${at}: ${e.message}`;
    })
    .join('; ');
}

export function parseHostPort(address: string): { host: string; port: number } {
  const index = address.lastIndexOf(':');
  return { host: address.slice(0, index) || '0.0.0.0', port: Number(address.slice(index + 1)) };
}
