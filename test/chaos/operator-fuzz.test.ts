/**
 * AppNetworkPolicy specs generated from the CRD's own schema, sent to the real API server with the
 * operator running as its own process. Whatever the API server admits must end one of two ways: objects
 * the API server accepts and Programmed=True, or Accepted=False with a message that names the field.
 * The operator must not crash, and nothing may be left retrying.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { appNetworkPolicySchema } from '../../src/api/appnetworkpolicy-schema.js';
import type { AppNetworkPolicy } from '../../src/api/types.js';
import { KubeApiError, type KubeObject } from '../../src/runtime/kube-client.js';
import { chaosScale, chaosSeed, reportFigures, seconds } from '../support/chaos.js';
import { createNamespace, testCluster } from '../support/cluster.js';
import { inPool } from '../bench/harness.js';
import { startOperator, type OperatorProcess } from '../support/operator.js';
import { arbitraryOf, cidrish, oneGroupOf } from '../support/schema-arbitrary.js';

const SPECS = chaosScale(150, 1500);
const SETTLE_MS = chaosScale(180_000, 600_000);
const SEED = chaosSeed();
const { admin, plane } = testCluster();

type Policy = AppNetworkPolicy & KubeObject;
let namespace: string;
let operator: OperatorProcess;

const collection = () => `/apis/networking.kf.dev/v1alpha1/namespaces/${namespace}/appnetworkpolicies`;
const condition = (policy: Policy, type: string) => policy.status?.conditions?.find((c) => c.type === type && c.observedGeneration === policy.metadata!.generation);
const metric = async (name: string, labels = '') =>
  [...(await operator.metrics()).matchAll(new RegExp(`^${name}\\{[^}]*${labels}[^}]*\\} (\\d+)$`, 'gm'))].reduce((sum, [, value]) => sum + Number(value), 0);

/** How a policy ended, or undefined while the operator has not settled it for its generation. */
function outcome(policy: Policy): 'programmed' | 'rejected' | { problem: string } | undefined {
  const accepted = condition(policy, 'Accepted');
  const programmed = condition(policy, 'Programmed');
  const ready = condition(policy, 'Ready');
  if (!accepted || !ready) return undefined;
  if (accepted.status === 'False') {
    return /\b(spec|ingress|egress)\b/.test(accepted.message) ? 'rejected' : { problem: `Accepted=False without naming a field: ${accepted.message}` };
  }
  if (programmed?.status === 'True' && ready.status === 'True') return 'programmed';
  return { problem: `Accepted=${accepted.status}, Programmed=${programmed?.status} (${programmed?.reason}: ${programmed?.message})` };
}

/**
 * Specs from the CRD schema, shaped by its CEL rules that a schema walk cannot see: app or selector,
 * ingress or egress or both, one kind per peer, except entries that are CIDRs.
 */
function specArbitrary(): fc.Arbitrary<unknown> {
  const spec = appNetworkPolicySchema.properties!.spec;
  const rules = (direction: 'ingress' | 'egress') => {
    const schema = spec.properties![direction];
    const peersKey = direction === 'ingress' ? 'from' : 'to';
    const peerSchema = schema.items!.properties![peersKey].items!;
    const peer = oneGroupOf(peerSchema, [['app', 'space'], ['selector', 'namespaceSelector'], ['entity'], ['cidr', 'except']], { except: fc.array(cidrish, { maxLength: 3 }) });
    return arbitraryOf(schema, { [peersKey]: fc.array(peer, { maxLength: 3 }) });
  };
  const target = Object.fromEntries(Object.entries(spec.properties!).filter(([key]) => key !== 'ingress' && key !== 'egress'));
  return fc
    .tuple(oneGroupOf({ ...spec, properties: target }, [['app'], ['selector']]), fc.option(rules('ingress'), { nil: undefined }), fc.option(rules('egress'), { nil: undefined }), fc.boolean())
    .map(([base, ingress, egress, ingressIfNeither]) => {
      // The schema demands ingress, egress or both; an empty list is the smallest such spec.
      const neither = ingress === undefined && egress === undefined;
      return { ...(base as object), ...(ingress === undefined ? {} : { ingress }), ...(egress === undefined ? {} : { egress }), ...(neither ? { [ingressIfNeither ? 'ingress' : 'egress']: [] } : {}) };
    });
}

beforeAll(async () => {
  namespace = await createNamespace('spec-fuzz');
  operator = await startOperator({ kubeconfig: plane.kubeconfig, logDir: `${plane.dir}/logs`, name: 'spec-fuzz' });
}, 120_000);

afterAll(async () => {
  await operator?.stop();
});

describe('operator under generated specs', () => {
  it(`${SPECS} specs from the CRD schema: each admitted one is programmed or says which field is wrong`, async () => {
    const specs = fc.sample(specArbitrary(), { numRuns: SPECS, seed: SEED });
    const refusals: Record<string, number> = {};
    const admitted: string[] = [];
    const started = Date.now();
    await inPool([...specs.entries()], 8, async ([n, spec]) => {
      const name = `f-${n}`;
      try {
        await admin.create(collection(), { apiVersion: 'networking.kf.dev/v1alpha1', kind: 'AppNetworkPolicy', metadata: { name, namespace }, spec });
        admitted.push(name);
      } catch (error) {
        if (!(error instanceof KubeApiError) || error.status >= 500) throw error;
        refusals[error.reason || String(error.status)] = (refusals[error.reason || String(error.status)] ?? 0) + 1;
      }
    });

    let outcomes = new Map<string, ReturnType<typeof outcome>>();
    while (Date.now() - started < SETTLE_MS) {
      const list = await admin.list<Policy>(collection());
      outcomes = new Map(list.items.map((p) => [p.metadata!.name!, outcome(p)]));
      if (admitted.every((name) => outcomes.get(name) !== undefined)) break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    const settledMs = Date.now() - started;
    // Nothing may keep retrying once everything has settled.
    const retriesBefore = await metric('appnetpol_workqueue_retries_total');
    await new Promise((r) => setTimeout(r, 5000));
    const retriesAfter = await metric('appnetpol_workqueue_retries_total');
    const problems = admitted.flatMap((name) => {
      const result = outcomes.get(name);
      if (result === undefined) return [`${name}: not settled`];
      return typeof result === 'object' ? [`${name}: ${result.problem}`] : [];
    });
    const count = (kind: string) => admitted.filter((name) => outcomes.get(name) === kind).length;
    reportFigures('operator-spec-fuzz', {
      seed: SEED,
      specs: SPECS,
      refusedByApiServer: refusals,
      admitted: admitted.length,
      programmed: count('programmed'),
      acceptedFalseNamingField: count('rejected'),
      problems: problems.length,
      settledSeconds: seconds(settledMs),
      retriesInFiveSecondsAfter: retriesAfter - retriesBefore,
      reconcileErrors: await metric('appnetpol_reconcile_total', 'result="error"'),
      operatorAlive: operator.process.exitCode === null,
    });
    const failures = await Promise.all(
      problems.slice(0, 5).map(async (p) => `${p}\n  spec: ${JSON.stringify((await admin.get<Policy>(`${collection()}/${p.split(':')[0]}`)).spec)}`),
    );
    expect(failures).toEqual([]);
    expect(retriesAfter - retriesBefore).toBe(0);
    expect(operator.process.exitCode).toBeNull();
    expect(admitted.length).toBeGreaterThan(SPECS / 10);
  }, 900_000);
});
