/**
 * Golden cases for the mesh planner. Each `<case>.input.yaml` holds `namespace`, `policies`, `facts`
 * (`serviceAccounts` by `<space>/<app>`, `pods` by app, optional `space`), optional `rejected` (names of
 * policies whose spec is rejected), optional `config` (merged over the default mesh configuration) and
 * optional `entities` (merged over the default entity configuration).
 */
import { describe, expect, it } from '@jest/globals';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';
import type { AppNetworkPolicy } from '../../../src/api/types.js';
import { YAML_OPTIONS } from '../../../src/cli/render.js';
import { DEFAULT_ENTITIES, type EntityConfig } from '../../../src/config/entities.js';
import { DEFAULT_MESH, type MeshConfig } from '../../../src/config/mesh.js';
import { planMesh, type MeshFacts, type MeshPod } from '../../../src/planner/mesh.js';
import { emptyCollections, expectGolden, goldenCases, readInput } from './golden.js';

const DIRECTORY = fileURLToPath(new URL('../../golden/mesh/', import.meta.url));

interface CaseInput {
  namespace: string;
  policies: AppNetworkPolicy[];
  rejected?: string[];
  config?: Partial<MeshConfig>;
  entities?: Partial<EntityConfig>;
  facts: { serviceAccounts: Record<string, string[]>; pods: Record<string, MeshPod[]>; space?: MeshFacts['space'] };
}

describe('planMesh golden cases', () => {
  it.each(goldenCases(DIRECTORY))('%s', (name) => {
    const input = parse(readInput(DIRECTORY, name)) as CaseInput;
    const plan = planMesh({
      namespace: input.namespace,
      policies: input.policies,
      rejected: new Set(input.rejected),
      facts: {
        serviceAccounts: new Map(Object.entries(input.facts.serviceAccounts)),
        pods: new Map(Object.entries(input.facts.pods)),
        ...(input.facts.space ? { space: input.facts.space } : {}),
      },
      config: { ...DEFAULT_MESH, ...input.config },
      entities: { ...DEFAULT_ENTITIES, ...input.entities },
    });
    for (const object of plan.objects) {
      // An empty Istio rule ({}) matches every request: kept on purpose for a rule with no peers and no ports.
      expect(emptyCollections(object).filter((path) => !/\.rules\[\d+\]$/.test(path))).toEqual([]);
      expect(object.metadata.name.length).toBeLessThanOrEqual(63);
    }
    expectGolden(DIRECTORY, name, stringify(plan, YAML_OPTIONS));
  });
});
