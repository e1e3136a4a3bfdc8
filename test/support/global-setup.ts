/**
 * Starts the one control plane the integration and end-to-end tests share. Jest runs the compiled
 * copy of this file (dist/test/support), so `npm run build` comes first; `npm test` does that.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { admissionPluginsFrom, startControlPlane, startWatchdog, type ControlPlane } from '../../hack/control-plane.js';
import { STATE_ENV } from './state.js';

declare global {
  var __APPNETPOL_CONTROL_PLANE__: ControlPlane | undefined;
}

export default async function globalSetup(): Promise<void> {
  const started = Date.now();
  const admissionPlugins = admissionPluginsFrom(process.env);
  const plane = await startControlPlane({ crds: ['crds', 'crds/kf'], admissionPlugins });
  startWatchdog(process.pid, plane, { keepLogs: true });
  globalThis.__APPNETPOL_CONTROL_PLANE__ = plane;
  const stateFile = join(plane.dir, 'state.json');
  writeFileSync(stateFile, JSON.stringify(plane));
  process.env[STATE_ENV] = stateFile;
  const plugins = admissionPlugins.length ? ` with ${admissionPlugins.join(', ')}` : '';
  console.log(`\nlocal control plane${plugins} ready in ${((Date.now() - started) / 1000).toFixed(1)}s at ${plane.server}; process logs: ${plane.dir}/logs`);
}
