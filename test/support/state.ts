import { readFileSync } from 'node:fs';
import type { ControlPlane } from '../../hack/control-plane.js';

/** The global setup leaves the control plane's coordinates in a file named by this variable. */
export const STATE_ENV = 'APPNETPOL_TEST_STATE';

export function readControlPlane(): ControlPlane {
  const file = process.env[STATE_ENV];
  if (!file) throw new Error(`${STATE_ENV} is not set: run integration tests through jest's integration project`);
  return JSON.parse(readFileSync(file, 'utf8')) as ControlPlane;
}
