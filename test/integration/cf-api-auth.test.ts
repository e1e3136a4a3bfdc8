/** The CF API's TokenReview and SubjectAccessReview answers against the real API server: cached, shared while in flight. */
import { expect, it } from '@jest/globals';
import { pino } from 'pino';
import { Authorizer } from '../../src/cfapi/auth.js';
import { DEFAULT_CLIENT_SETTINGS, KubeClient } from '../../src/runtime/kube-client.js';
import { testCluster } from '../support/cluster.js';

const { plane } = testCluster();

/** An Authorizer whose client counts the reviews it sends (every POST is one). */
function countingAuthorizer(): { authorizer: Authorizer; reviews: () => number } {
  let posts = 0;
  const client = KubeClient.fromFile(plane.kubeconfig, DEFAULT_CLIENT_SETTINGS, { response: (method) => void (method === 'POST' && posts++), retry: () => undefined });
  return { authorizer: new Authorizer(client, pino({ level: 'silent' })), reviews: () => posts };
}

it('concurrent requests with one token share one TokenReview; a refused token is asked about again', async () => {
  const { authorizer, reviews } = countingAuthorizer();
  const header = `Bearer ${plane.identities.alice.token}`;
  const users = await Promise.all(Array.from({ length: 20 }, () => authorizer.authenticate(header)));
  expect(users.map((user) => user.username)).toEqual(Array.from({ length: 20 }, () => 'alice'));
  expect(reviews()).toBe(1);
  await authorizer.authenticate(header);
  expect(reviews()).toBe(1);

  for (let i = 0; i < 2; i++) await expect(authorizer.authenticate('Bearer not-a-token')).rejects.toMatchObject({ status: 401, message: 'failed to verify token with uaa' });
  expect(reviews()).toBe(3);
});

it('concurrent questions about one user and namespace share one SubjectAccessReview', async () => {
  const { authorizer, reviews } = countingAuthorizer();
  const answers = await Promise.all(Array.from({ length: 20 }, () => authorizer.mayWrite({ username: 'nobody' }, 'default')));
  expect(answers).toEqual(Array.from({ length: 20 }, () => false));
  expect(reviews()).toBe(1);
});
