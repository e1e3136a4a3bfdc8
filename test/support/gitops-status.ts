/**
 * What GitOps tools make of an object, from the real code they run: kstatus (sigs.k8s.io/cli-utils,
 * as Flux, Config Sync and kpt use it) and Argo CD's health check script in gopher-lua, both in the
 * pinned appnetpol-status tool that hack/build-go-tool.sh status builds into the cache.
 */
import { execFileSync } from 'node:child_process';
import type { KubeObject } from '../../src/runtime/kube-client.js';
import { goTool } from './go-tool.js';

/** The health check docs/deploy.md ships (config/argocd). */
export const ARGOCD_HEALTH_CHECK = 'config/argocd/appnetworkpolicy-health.lua';

export interface Verdict {
  status: string;
  message: string;
}

/** Builds the tool when missing (a cold build downloads modules and takes a minute or two). */
export function statusTool(): string {
  return goTool('status');
}

export function gitopsStatus(object: KubeObject): { kstatus: Verdict; argocd: Verdict } {
  const out = execFileSync(statusTool(), ['-lua', ARGOCD_HEALTH_CHECK], { input: `${JSON.stringify(object)}\n`, encoding: 'utf8' });
  return JSON.parse(out) as { kstatus: Verdict; argocd: Verdict };
}
