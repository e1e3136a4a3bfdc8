/** Istio's CRDs as test stand-ins (test/fixtures/istio-crds.yaml), installed and removed by the files that need them. */
import { expect } from '@jest/globals';
import { kubectl } from './cluster.js';

const ISTIO_CRDS = 'test/fixtures/istio-crds.yaml';
export const ISTIO_CRD_NAMES = ['sidecars.networking.istio.io', 'authorizationpolicies.security.istio.io', 'peerauthentications.security.istio.io'];

export async function installIstioCrds(): Promise<void> {
  expect((await kubectl(['apply', '--server-side', '-f', ISTIO_CRDS])).code).toBe(0);
  expect((await kubectl(['wait', '--for=condition=Established', '--timeout=60s', ...ISTIO_CRD_NAMES.map((n) => `crd/${n}`)])).code).toBe(0);
}

/** Removes them and waits until they are gone, so later test files see a cluster without Istio. */
export async function removeIstioCrds(): Promise<void> {
  await kubectl(['delete', '--ignore-not-found', '--wait=true', '-f', ISTIO_CRDS]);
}
