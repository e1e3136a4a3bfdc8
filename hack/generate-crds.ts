/** Writes the CRDs under crds/ (the kustomizations there list them). Run: npm run build && node dist/hack/generate-crds.js */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KUBERNETES_1_31_COMPONENT, renderCRDManifests, renderKubernetes131Component } from '../src/api/crd-manifests.js';

// Compiled to dist/hack/, so the repository root is two levels up.
const root = fileURLToPath(new URL('../../', import.meta.url));
const crdDir = join(root, 'crds');

for (const { file, content } of renderCRDManifests()) {
  const target = join(crdDir, file);
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, content);
  console.log(`wrote ${target}`);
}

const component = join(root, KUBERNETES_1_31_COMPONENT);
mkdirSync(dirname(component), { recursive: true });
writeFileSync(component, renderKubernetes131Component());
console.log(`wrote ${component}`);
