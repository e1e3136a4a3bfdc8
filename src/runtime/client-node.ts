/**
 * The parts of @kubernetes/client-node appnetpol uses, from their own modules. The package's index also
 * loads exec, attach and copy support and, through them, every generated model class; none is used, and
 * together they were a third of the bundle. hack/bundle.ts keeps the model classes out.
 */
export { KubeConfig } from '@kubernetes/client-node/dist/config.js';
export { ListWatch } from '@kubernetes/client-node/dist/cache.js';
export type { Watch } from '@kubernetes/client-node/dist/watch.js';
export { HttpMethod, RequestContext } from '@kubernetes/client-node/dist/gen/http/http.js';
export type { KubernetesListObject } from '@kubernetes/client-node/dist/types.js';
