/** The `id`, `source_id` and `dest_id` filters of a policy list. */
export type ListFilter =
  | { kind: 'all' }
  /** Source or destination in the list. */
  | { kind: 'either'; ids: Set<string> }
  /** Source in `sources` (when given) and destination in `destinations` (when given). */
  | { kind: 'both'; sources?: Set<string>; destinations?: Set<string> };

function idList(value: string): Set<string> {
  return new Set(value.split(','));
}

/** From the raw query string; the first value of a repeated parameter counts, `id` wins over the others. */
export function parseListFilter(rawQuery: string): ListFilter {
  const query = new URLSearchParams(rawQuery);
  const id = query.get('id');
  if (id !== null) return { kind: 'either', ids: idList(id) };
  const source = query.get('source_id');
  const destination = query.get('dest_id');
  if (source === null && destination === null) return { kind: 'all' };
  return { kind: 'both', sources: source === null ? undefined : idList(source), destinations: destination === null ? undefined : idList(destination) };
}

export function matchesFilter(filter: ListFilter, policy: { source: string; destination: string }): boolean {
  switch (filter.kind) {
    case 'all':
      return true;
    case 'either':
      return filter.ids.has(policy.source) || filter.ids.has(policy.destination);
    case 'both':
      return (!filter.sources || filter.sources.has(policy.source)) && (!filter.destinations || filter.destinations.has(policy.destination));
  }
}
