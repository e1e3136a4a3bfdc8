/** Renders the shipped CRDs as the YAML files kept under crds/. */
import { stringify } from 'yaml';
import { UNIQUE_RULE_NAMES } from './appnetworkpolicy-schema.js';
import { appNetworkPolicyCRD, shippedCRDs } from './crd.js';

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

/** Where the component for Kubernetes 1.31 to 1.34 lives, relative to the repository's root. */
export const KUBERNETES_1_31_COMPONENT = 'config/components/kubernetes-1.31/kustomization.yaml';

/** JSON Patch operations that swap each linear rule-name check of the CRD for the pairwise one. */
export function pairwiseRuleNamePatch(): { op: 'replace'; path: string; value: string }[] {
  const ops: { op: 'replace'; path: string; value: string }[] = [];
  const walk = (node: unknown, path: string) => {
    if (Array.isArray(node)) return node.forEach((child, i) => walk(child, `${path}/${i}`));
    if (!node || typeof node !== 'object') return;
    for (const [key, child] of Object.entries(node)) {
      if (key === 'rule' && child === UNIQUE_RULE_NAMES.linear) ops.push({ op: 'replace', path: `${path}/rule`, value: UNIQUE_RULE_NAMES.pairwise });
      else walk(child, `${path}/${key.replaceAll('~', '~0').replaceAll('/', '~1')}`);
    }
  };
  walk(appNetworkPolicyCRD(), '');
  return ops;
}

/** The kustomize component that makes the CRD installable on API servers before 1.35 (no CEL list extension). */
export function renderKubernetes131Component(): string {
  const crd = appNetworkPolicyCRD();
  const component = {
    apiVersion: 'kustomize.config.k8s.io/v1alpha1',
    kind: 'Component',
    patches: [{ target: { kind: 'CustomResourceDefinition', name: crd.metadata.name }, patch: stringify(pairwiseRuleNamePatch(), { lineWidth: 0 }) }],
  };
  const header = [
    '# For Kubernetes 1.31 to 1.34, whose API servers refuse CEL\'s distinct() in a new CRD: the CRD checks',
    '# rule names pairwise instead (the same answers; a write of an object with hundreds of named rules costs more).',
    '# Add to an overlay of config/default:',
    '#   components:',
    '#   - ../../config/components/kubernetes-1.31    (path relative to the overlay)',
    '# Generated from src/api by hack/generate-crds.ts. Do not edit by hand.',
    `# Regenerate with: ${REGENERATE_COMMAND}`,
  ];
  return `${header.join('\n')}\n${stringify(component, { lineWidth: 0 })}`;
}
