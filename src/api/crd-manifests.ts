/** Renders the shipped CRDs as the YAML files kept under crds/. */
import { stringify } from 'yaml';
import { shippedCRDs } from './crd.js';

export const REGENERATE_COMMAND = 'npm run build && node dist/hack/generate-crds.js';

export interface CRDManifest {
  /** Relative to the repository's crds/ directory. */
  file: string;
  content: string;
}

export function renderCRDManifests(): CRDManifest[] {
  return shippedCRDs().map(({ file, origin, crd }) => {
    const header = [
      '# Generated from src/api by hack/generate-crds.ts. Do not edit by hand.',
      `# Regenerate with: ${REGENERATE_COMMAND}`,
      ...(origin === 'kf-stand-in' ? ['# Kf stand-in for tests and clusters without Kf; skip this directory where Kf is installed.'] : []),
    ];
    // lineWidth 0: long descriptions and CEL rules stay on one line, so diffs show exactly what changed.
    return { file, content: `${header.join('\n')}\n${stringify(crd, { lineWidth: 0 })}` };
  });
}
