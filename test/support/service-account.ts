/** Runs things as a real ServiceAccount: a token from the TokenRequest API in a kubeconfig of its own. */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import type { KubeObject } from '../../src/runtime/kube-client.js';
import { testCluster } from './cluster.js';

type TokenRequest = KubeObject & { spec: { expirationSeconds: number }; status?: { token: string } };

interface Kubeconfig {
  users: { name: string; user: Record<string, unknown> }[];
}

/** Writes a kubeconfig for the control plane that authenticates as `namespace/name`; returns its path. */
export async function serviceAccountKubeconfig(namespace: string, name: string): Promise<string> {
  const { admin, plane } = testCluster();
  const request = await admin.create<TokenRequest>(`/api/v1/namespaces/${namespace}/serviceaccounts/${name}/token`, {
    apiVersion: 'authentication.k8s.io/v1',
    kind: 'TokenRequest',
    spec: { expirationSeconds: 3600 },
  });
  // The admin kubeconfig's cluster and CA, with the ServiceAccount's token as the only credential.
  const kubeconfig = parse(readFileSync(plane.kubeconfig, 'utf8')) as Kubeconfig;
  for (const user of kubeconfig.users) user.user = { token: request.status!.token };
  const file = join(plane.dir, `kubeconfig-sa-${namespace}-${name}`);
  writeFileSync(file, stringify(kubeconfig), { mode: 0o600 });
  return file;
}
