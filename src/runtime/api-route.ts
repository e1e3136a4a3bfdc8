/** The route of a Kubernetes API path: object and namespace names become placeholders, for span names. */
export function apiRoute(path: string): string {
  const segments = path.split('?')[0].split('/').filter(Boolean);
  const groupVersionLength = segments[0] === 'apis' ? 3 : 2;
  const route = segments.slice(0, groupVersionLength);
  let rest = segments.slice(groupVersionLength);
  if (rest[0] === 'namespaces' && rest.length > 2) {
    route.push('namespaces', '{namespace}');
    rest = rest.slice(2);
  }
  if (rest.length > 0) route.push(rest[0]);
  if (rest.length > 1) route.push('{name}', ...rest.slice(2));
  return `/${route.join('/')}`;
}
