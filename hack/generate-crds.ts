/** Writes the CRDs under crds/ (the kustomizations there list them). Run: npm run build && node dist/hack/generate-crds.js */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderCRDManifests } from '../src/api/crd-manifests.js';

// Compiled to dist/hack/, so the repository root is two levels up.
const crdDir = fileURLToPath(new URL('../../crds/', import.meta.url));

for (const { file, content } of renderCRDManifests()) {
  const target = join(crdDir, file);
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, content);
  console.log(`wrote ${target}`);
}
