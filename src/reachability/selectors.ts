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

type Requirement = (labels: Readonly<Record<string, string>>) => boolean;

export const MATCH_ALL: LabelMatcher = { matchesAll: true, matches: () => true };
export const MATCH_NONE: LabelMatcher = { matchesAll: false, matches: () => false };

export function compileSelector(selector: V1LabelSelector): LabelMatcher {
  const requirements: Requirement[] = [];
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    requirements.push((labels) => labels[key] === value);
  }
  for (const expression of selector.matchExpressions ?? []) {
    const { key } = expression;
    const values = new Set(expression.values ?? []);
    switch (expression.operator) {
      case 'In':
        requirements.push((labels) => Object.hasOwn(labels, key) && values.has(labels[key]));
        break;
      case 'NotIn':
        requirements.push((labels) => !Object.hasOwn(labels, key) || !values.has(labels[key]));
        break;
      case 'Exists':
        requirements.push((labels) => Object.hasOwn(labels, key));
        break;
      case 'DoesNotExist':
        requirements.push((labels) => !Object.hasOwn(labels, key));
        break;
      default:
        // The API server rejects other operators; a selector it would reject selects nothing.
        return MATCH_NONE;
    }
  }
  if (!requirements.length) return MATCH_ALL;
  return { matchesAll: false, matches: (labels) => requirements.every((r) => r(labels)) };
}
