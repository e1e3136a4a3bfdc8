import { describe, expect, it } from '@jest/globals';
import { AppDirectory, appOf, directoryInformerOptions } from '../../../src/cfapi/directory.js';
import type { Informer } from '../../../src/runtime/informer.js';
import type { KubeObject } from '../../../src/runtime/kube-client.js';

function directoryWith(source: ConstructorParameters<typeof AppDirectory>[0]) {
  const handlers: { add?: (o: KubeObject) => void; delete?: (o: KubeObject) => void } = {};
  const informer = { on: (h: typeof handlers) => Object.assign(handlers, h) } as unknown as Informer<KubeObject>;
  return { directory: new AppDirectory(source, informer), add: handlers.add!, remove: (o: KubeObject) => handlers.delete!(o) };
}

describe('AppDirectory', () => {
  it('maps Kf App uids to apps and knows which namespaces hold apps', () => {
    const { directory, add, remove } = directoryWith({ kind: 'kf-app-uid' });
    const web = { metadata: { uid: 'u-web', namespace: 'ns1', name: 'web' } };
    add(web);
    add({ metadata: { uid: 'u-db', namespace: 'ns2', name: 'db' } });
    expect(directory.byGuid('u-web')).toEqual({ guid: 'u-web', namespace: 'ns1', name: 'web' });
    expect(directory.namespaces()).toEqual(['ns1', 'ns2']);
    remove(web);
    expect(directory.byGuid('u-web')).toBeUndefined();
    expect(directory.namespaces()).toEqual(['ns2']);
  });

  it('with a pod label, an app exists while any of its pods carries the GUID', () => {
    const source = { kind: 'pod-label' as const, label: 'cloudfoundry.org/app_guid' };
    expect(directoryInformerOptions(source)).toMatchObject({ resource: 'pods', path: '/api/v1/pods', labelSelector: 'cloudfoundry.org/app_guid,app.kubernetes.io/name' });
    const { directory, add, remove } = directoryWith(source);
    const pod = (name: string) => ({ metadata: { name, namespace: 'ns1', labels: { 'cloudfoundry.org/app_guid': 'g-1', 'app.kubernetes.io/name': 'web' } } });
    add(pod('web-a'));
    add(pod('web-b'));
    remove(pod('web-a'));
    expect(directory.byGuid('g-1')).toEqual({ guid: 'g-1', namespace: 'ns1', name: 'web' });
    remove(pod('web-b'));
    expect(directory.byGuid('g-1')).toBeUndefined();
  });

  it('ignores GUIDs a rule name cannot carry', () => {
    expect(appOf({ kind: 'kf-app-uid' }, { metadata: { uid: 'Upper-Case', namespace: 'ns', name: 'a' } })).toBeUndefined();
  });
});

describe('directoryInformerOptions', () => {
  it('caches only what the directory reads of an app', () => {
    const app = { apiVersion: 'kf.dev/v1alpha1', kind: 'App', metadata: { name: 'web', namespace: 'ns1', uid: 'g-1', resourceVersion: '7', labels: { a: 'b' }, annotations: { big: 'x'.repeat(1000) }, generation: 3 }, spec: { template: {} }, status: { conditions: [] } };
    directoryInformerOptions({ kind: 'kf-app-uid' }).trim!(app);
    expect(app).toEqual({ apiVersion: 'kf.dev/v1alpha1', kind: 'App', metadata: { name: 'web', namespace: 'ns1', uid: 'g-1', resourceVersion: '7', labels: { a: 'b' } } });
    expect(appOf({ kind: 'kf-app-uid' }, app)).toEqual({ guid: 'g-1', namespace: 'ns1', name: 'web' });
  });
});
