/**
 * Label selectors compiled once into matchers, with metav1.LabelSelector semantics: an empty selector
 * matches everything; every matchLabels entry and every matchExpressions requirement must hold;
 * `NotIn` and `DoesNotExist` hold for labels that are absent. Null vs empty is the caller's business
 * (a peer without namespaceSelector means "the policy's namespace", not "every namespace").
 */
import type { V1LabelSelector } from '@kubernetes/client-node';

export interface LabelMatcher {
  /** Whether the selector is empty (matches everything). */
  readonly matchesAll: boolean;
  matches(labels: Readonly<Record<string, string>>): boolean;
}

export const MATCH_ALL: LabelMatcher = { matchesAll: true, matches: () => true };
export const MATCH_NONE: LabelMatcher = { matchesAll: false, matches: () => false };

type Operator = 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';

interface Expression {
  key: string;
  operator: Operator;
  values?: ReadonlySet<string>;
}

const OPERATORS: ReadonlySet<string> = new Set<Operator>(['In', 'NotIn', 'Exists', 'DoesNotExist']);

/**
 * Data, not closures: one small object per selector, reading `matchLabels` where the cached object
 * holds it (tens of thousands of NetworkPolicies are compiled and kept).
 */
class SelectorMatcher implements LabelMatcher {
  readonly matchesAll = false;

  constructor(
    private readonly matchLabels: Readonly<Record<string, string>> | undefined,
    private readonly expressions: readonly Expression[] | undefined,
  ) {}

  matches(labels: Readonly<Record<string, string>>): boolean {
    for (const key in this.matchLabels) if (labels[key] !== this.matchLabels[key]) return false;
    return this.expressions?.every((e) => holds(e, labels)) ?? true;
  }
}

function holds({ key, operator, values }: Expression, labels: Readonly<Record<string, string>>): boolean {
  const present = Object.hasOwn(labels, key);
  switch (operator) {
    case 'In':
      return present && values!.has(labels[key]);
    case 'NotIn':
      return !present || !values!.has(labels[key]);
    case 'Exists':
      return present;
    case 'DoesNotExist':
      return !present;
  }
}

export function compileSelector(selector: V1LabelSelector): LabelMatcher {
  const matchLabels = selector.matchLabels && Object.keys(selector.matchLabels).length ? selector.matchLabels : undefined;
  const expressions: Expression[] = [];
  for (const { key, operator, values } of selector.matchExpressions ?? []) {
    // The API server rejects other operators; a selector it would reject selects nothing.
    if (!OPERATORS.has(operator)) return MATCH_NONE;
    expressions.push({ key, operator: operator as Operator, ...(operator === 'In' || operator === 'NotIn' ? { values: new Set(values ?? []) } : {}) });
  }
  if (!matchLabels && !expressions.length) return MATCH_ALL;
  return new SelectorMatcher(matchLabels, expressions.length ? expressions : undefined);
}
