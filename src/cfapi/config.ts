/**
 * Configuration of `appnetpol cf-api`: defaults, then a YAML/JSON file, then flags (which commander
 * fills from APPNETPOL_CF_API_* environment variables), validated with ajv before the cluster is touched.
 */
import { DEFAULT_KUBE_API_CONFIG, KUBE_API_CONFIG_PROPERTIES, KUBE_API_KEYS, type KubeApiConfig } from '../config/kube-api.js';
import { configCheck, ConfigError, readConfigFile } from '../config/operator-config.js';
import type { GuidSource } from './directory.js';

export interface CfApiConfig extends KubeApiConfig {
  /** host:port the API listens on. */
  listenAddress: string;
  /** host:port of /metrics, /healthz and /readyz (plain HTTP, for Prometheus and probes). */
  metricsAddress: string;
  /** PEM certificate (chain) and key the API serves HTTPS with; re-read when they change. */
  tlsCertFile: string;
  tlsKeyFile: string;
  /** Serve plain HTTP: only when asked for, e.g. behind a mesh sidecar that terminates TLS. */
  plainHttp: boolean;
  /** Most policies one source app may have, for callers who are not admins. */
  quota: number;
  /** Policies of vanished apps are deleted this often. */
  cleanupIntervalMinutes: number;
  /** Pod label holding the app GUID; empty means the Kf App's metadata.uid. */
  appGuidLabel: string;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';
}

export const DEFAULT_CF_API_CONFIG: CfApiConfig = {
  listenAddress: '0.0.0.0:4002',
  metricsAddress: '0.0.0.0:8081',
  tlsCertFile: '',
  tlsKeyFile: '',
  plainHttp: false,
  quota: 150,
  cleanupIntervalMinutes: 60,
  appGuidLabel: '',
  logLevel: 'info',
  ...DEFAULT_KUBE_API_CONFIG,
};

const LABEL_KEY = '^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$';

export const CF_API_CONFIG_SCHEMA = {
  type: 'object',
  properties: {
    listenAddress: { type: 'string', pattern: '^[^:]*:[0-9]{1,5}$' },
    metricsAddress: { type: 'string', pattern: '^[^:]*:[0-9]{1,5}$' },
    tlsCertFile: { type: 'string' },
    tlsKeyFile: { type: 'string' },
    plainHttp: { type: 'boolean' },
    quota: { type: 'integer', minimum: 1 },
    cleanupIntervalMinutes: { type: 'integer', minimum: 1 },
    appGuidLabel: { anyOf: [{ const: '' }, { type: 'string', pattern: LABEL_KEY, maxLength: 317 }] },
    logLevel: { enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] },
    ...KUBE_API_CONFIG_PROPERTIES,
  },
  additionalProperties: false,
} as const;

const checkConfig = configCheck(CF_API_CONFIG_SCHEMA);

const INTEGER_KEYS: readonly string[] = ['quota', 'cleanupIntervalMinutes', ...KUBE_API_KEYS];
const BOOLEAN_KEYS: readonly string[] = ['plainHttp'];

/** Flags and environment variables arrive as text (a bare boolean flag as true). */
function fromText(key: string, value: string | boolean): unknown {
  if (typeof value !== 'string') return value;
  if (INTEGER_KEYS.includes(key) && /^-?\d+$/.test(value)) return Number(value);
  if (BOOLEAN_KEYS.includes(key) && /^(true|false)$/.test(value)) return value === 'true';
  return value;
}

export function loadCfApiConfig(sources: { file?: string; flags?: Partial<Record<keyof CfApiConfig, string | boolean | undefined>> }): CfApiConfig {
  const fromFile = sources.file ? readConfigFile(sources.file) : {};
  const fromFlags = Object.fromEntries(
    Object.entries(sources.flags ?? {})
      .filter(([, value]) => value !== undefined)
      .map(([key, value]) => [key, fromText(key, value!)]),
  );
  const merged = { ...fromFile, ...fromFlags };
  checkConfig(merged);
  const config = { ...DEFAULT_CF_API_CONFIG, ...(merged as Partial<CfApiConfig>) };
  checkTransport(config);
  return config;
}

/** HTTPS with both files, or plain HTTP when asked for; never plain HTTP by omission. */
function checkTransport(config: CfApiConfig): void {
  const files = [config.tlsCertFile, config.tlsKeyFile].filter(Boolean).length;
  if (config.plainHttp && files > 0) throw new ConfigError('invalid configuration: plainHttp excludes tlsCertFile and tlsKeyFile; give one or the other');
  if (files === 1) throw new ConfigError('invalid configuration: tlsCertFile and tlsKeyFile go together; give both');
  if (!config.plainHttp && files === 0) {
    throw new ConfigError('invalid configuration: the CF API serves HTTPS: give tlsCertFile and tlsKeyFile (--tls-cert-file, --tls-key-file), or set plainHttp (--plain-http) to serve plain HTTP');
  }
}

export function guidSourceOf(config: CfApiConfig): GuidSource {
  return config.appGuidLabel ? { kind: 'pod-label', label: config.appGuidLabel } : { kind: 'kf-app-uid' };
}
