/**
 * Golden cases for the Space planner. Each `<case>.input.yaml` holds `space`, optional `namespaceExists`
 * (default true), optional `essentials` (merged over the defaults) and optional `entities` (merged over
 * the defaults). The sixteen PermitAll/DenyAll combinations are named
 * `app-<ingress>-<egress>.build-<ingress>-<egress>`.
 */
import { describe, expect, it } from '@jest/globals';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';
import type { Space } from '../../../src/api/space.js';
import { YAML_OPTIONS } from '../../../src/cli/render.js';
import { DEFAULT_ESSENTIALS, type EssentialsConfig } from '../../../src/config/essentials.js';
import { planSpace } from '../../../src/planner/space.js';
import { emptyCollections, entityConfig, expectGolden, goldenCases, readInput } from './golden.js';

const DIRECTORY = fileURLToPath(new URL('../../golden/space/', import.meta.url));

interface CaseInput {
  space: Space;
  namespaceExists?: boolean;
  essentials?: Partial<EssentialsConfig>;
  entities?: Record<string, unknown>;
}

describe('planSpace golden cases', () => {
  it.each(goldenCases(DIRECTORY))('%s', (name) => {
    const input = parse(readInput(DIRECTORY, name)) as CaseInput;
    const plan = planSpace({
      space: input.space,
      namespaceExists: input.namespaceExists ?? true,
      entities: entityConfig(input.entities),
      essentials: { ...DEFAULT_ESSENTIALS, ...input.essentials },
    });
    for (const workload of plan.workloads) {
      for (const np of workload.networkPolicies ?? []) expect(emptyCollections(np)).toEqual([]);
    }
    expectGolden(DIRECTORY, name, stringify(plan, YAML_OPTIONS));
  });
});
