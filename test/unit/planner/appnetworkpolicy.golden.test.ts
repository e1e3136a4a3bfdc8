/**
 * Golden cases for the AppNetworkPolicy planner. Each `<case>.input.yaml` holds `policy`, optional
 * `facts` (namespaces, apps per namespace, apiServer, dataplane; absent = offline), optional
 * `entities` (merged over the defaults; null removes an entry) and optional `schemaErrors`.
 */
import { describe, expect, it } from '@jest/globals';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';
import type { AppNetworkPolicy } from '../../../src/api/types.js';
import { YAML_OPTIONS } from '../../../src/cli/render.js';
import { planAppNetworkPolicy } from '../../../src/planner/appnetworkpolicy.js';
import type { ClusterFacts } from '../../../src/planner/facts.js';
import { emptyCollections, entityConfig, expectGolden, goldenCases, readInput } from './golden.js';

const DIRECTORY = fileURLToPath(new URL('../../golden/appnetworkpolicy/', import.meta.url));

interface CaseInput {
  policy: AppNetworkPolicy;
  facts?: {
    namespaces?: string[];
    apps?: Record<string, string[]>;
    apiServer?: ClusterFacts['apiServer'];
    dataplane?: ClusterFacts['dataplane'];
  };
  entities?: Record<string, unknown>;
  schemaErrors?: string[];
}

function clusterFacts(facts: CaseInput['facts']): ClusterFacts {
  return {
    ...(facts?.namespaces ? { namespaces: new Set(facts.namespaces) } : {}),
    ...(facts?.apps ? { apps: new Map(Object.entries(facts.apps).map(([ns, apps]) => [ns, new Set(apps)])) } : {}),
    ...(facts?.apiServer ? { apiServer: facts.apiServer } : {}),
    ...(facts?.dataplane ? { dataplane: facts.dataplane } : {}),
  };
}

describe('planAppNetworkPolicy golden cases', () => {
  it.each(goldenCases(DIRECTORY))('%s', (name) => {
    const input = parse(readInput(DIRECTORY, name)) as CaseInput;
    const plan = planAppNetworkPolicy({
      policy: input.policy,
      facts: clusterFacts(input.facts),
      entities: entityConfig(input.entities),
      ...(input.schemaErrors ? { schemaErrors: input.schemaErrors } : {}),
    });
    if (plan.networkPolicy) expect(emptyCollections(plan.networkPolicy)).toEqual([]);
    expectGolden(DIRECTORY, name, stringify(plan, YAML_OPTIONS));
  });
});
