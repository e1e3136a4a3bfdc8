/**
 * Installs the RBAC of one ServiceAccount exactly as config/rbac renders it, moved into a test's
 * namespace: rules untouched; names get a suffix so parallel test files (and the kustomize test's
 * copies) never meet.
 */
import { isNotFound } from '../../src/runtime/kube-client.js';
import { createNamespace, testCluster } from './cluster.js';
import { collectionPath, objectPath, renderKustomization, type Manifest } from './kustomize.js';
import { serviceAccountKubeconfig } from './service-account.js';

/** The namespace config/rbac expects the operator's ServiceAccounts in. */
export const OPERATOR_NAMESPACE = 'appnetpol-system';

export type Rule = { apiGroups: string[]; resources: string[]; verbs: string[] };
export type Role = Manifest & { rules: Rule[] };
type Binding = Manifest & {
  roleRef?: { name: string };
  subjects?: { namespace?: string }[];
  spec?: { rules?: { subjects?: { serviceAccount?: { namespace: string } }[] }[] };
};

/** config/rbac's objects for `serviceAccount` (those named after it), relocated into `namespace`. */
export function renderRbacFor(serviceAccount: string, namespace: string, suffix: string): Manifest[] {
  return renderKustomization('config/rbac')
    .filter((object) => object.metadata.name.startsWith(serviceAccount))
    .map((original) => {
      const object = structuredClone(original) as Binding;
      if (object.metadata.namespace === OPERATOR_NAMESPACE) object.metadata.namespace = namespace;
      if (object.kind !== 'ServiceAccount') object.metadata.name += `-${suffix}`;
      if (object.roleRef) object.roleRef.name += `-${suffix}`;
      for (const subject of object.subjects ?? []) subject.namespace = namespace;
      // A FlowSchema names the ServiceAccount inside its rules.
      for (const rule of object.spec?.rules ?? []) for (const subject of rule.subjects ?? []) if (subject.serviceAccount) subject.serviceAccount.namespace = namespace;
      return object;
    });
}

export async function createAll(objects: Manifest[]): Promise<void> {
  for (const object of objects) await testCluster().admin.create(collectionPath(object), object);
}

export async function deleteAll(objects: Manifest[]): Promise<void> {
  for (const object of objects) await testCluster().admin.delete(objectPath(object)).catch((e: unknown) => (isNotFound(e) ? undefined : Promise.reject(e)));
}

/** `role`'s rules less `verb` on `resource` (all rules as rendered when `verb` is undefined). */
export function rulesWithout(role: Role, resource: string, verb?: string): Rule[] {
  return role.rules.map((rule) => (rule.resources.includes(resource) ? { ...rule, verbs: rule.verbs.filter((v) => v !== verb) } : rule));
}

/** A ServiceAccount with exactly its rules from config/rbac, in a namespace of its own, and a kubeconfig acting as it. */
export interface ConfigRbacIdentity {
  namespace: string;
  objects: Manifest[];
  kubeconfig: string;
}

export async function configRbacIdentity(serviceAccount: string, namespacePrefix: string, suffix: string): Promise<ConfigRbacIdentity> {
  const namespace = await createNamespace(namespacePrefix);
  const objects = renderRbacFor(serviceAccount, namespace, suffix);
  await createAll(objects);
  return { namespace, objects, kubeconfig: await serviceAccountKubeconfig(namespace, serviceAccount) };
}
