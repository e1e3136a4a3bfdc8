import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { stopControlPlane } from '../../hack/control-plane.js';

export default async function globalTeardown(): Promise<void> {
  const plane = globalThis.__APPNETPOL_CONTROL_PLANE__;
  if (!plane) return;
  // The process logs stay behind (they are small) so a failure can be read after the run.
  stopControlPlane(plane, { keepDir: true });
  rmSync(join(plane.dir, 'etcd'), { recursive: true, force: true });
}
