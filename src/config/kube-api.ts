/** How the controller and the CF API treat the API server: client-side rate limit and request timeout. */
import { DEFAULT_CLIENT_SETTINGS, type ClientSettings } from '../runtime/kube-client.js';

export interface KubeApiConfig {
  /** Requests per second the process sends at most (0 = no client-side limit). */
  kubeApiQps: number;
  /** Requests that may go at once before kubeApiQps paces them. */
  kubeApiBurst: number;
  /** Longest one request to the API server may take. */
  kubeApiTimeoutSeconds: number;
}

export const DEFAULT_KUBE_API_CONFIG: KubeApiConfig = {
  kubeApiQps: DEFAULT_CLIENT_SETTINGS.qps,
  kubeApiBurst: DEFAULT_CLIENT_SETTINGS.burst,
  kubeApiTimeoutSeconds: DEFAULT_CLIENT_SETTINGS.timeoutMs / 1000,
};

export const KUBE_API_CONFIG_PROPERTIES = {
  kubeApiQps: { type: 'integer', minimum: 0 },
  kubeApiBurst: { type: 'integer', minimum: 1 },
  kubeApiTimeoutSeconds: { type: 'integer', minimum: 1, maximum: 600 },
} as const;

export const KUBE_API_KEYS = Object.keys(KUBE_API_CONFIG_PROPERTIES) as (keyof KubeApiConfig)[];

export function clientSettingsOf(config: KubeApiConfig): ClientSettings {
  return { ...DEFAULT_CLIENT_SETTINGS, qps: config.kubeApiQps, burst: config.kubeApiBurst, timeoutMs: config.kubeApiTimeoutSeconds * 1000 };
}
