/** Validation findings, worded and printed the way kube-apiserver reports field errors. */

/** The API server's field error types appnetpol can produce, plus strict decoding's unknown fields. */
export type IssueKind = 'Invalid' | 'TypeInvalid' | 'Required' | 'Unsupported' | 'TooLong' | 'TooMany' | 'UnknownField';

export interface ValidationIssue {
  /** Kubernetes field path, e.g. `spec.ingress[0].ports[1].endPort`; '' means the whole object. */
  path: string;
  /** The detail after the field path and error type; for CEL rules, the rule's message verbatim. */
  message: string;
  kind: IssueKind;
  /** The offending value as the API server echoes it; absent where it omits the value. */
  value?: string | number | boolean | null;
}

/** Errors of these kinds stop the API server from evaluating CEL rules: the object lacks the shape they assume. */
const BLOCKING: ReadonlySet<IssueKind> = new Set(['Required', 'Unsupported', 'TooLong', 'TooMany', 'TypeInvalid']);

export function isBlocking(issue: ValidationIssue): boolean {
  return BLOCKING.has(issue.kind);
}

export const RULES_NOT_CHECKED: ValidationIssue = {
  path: '',
  kind: 'Invalid',
  value: null,
  message:
    'some validation rules were not checked because the object was invalid; correct the existing errors to complete validation',
};

const LABELS: Record<Exclude<IssueKind, 'UnknownField'>, string> = {
  Invalid: 'Invalid value',
  TypeInvalid: 'Invalid value',
  Required: 'Required value',
  Unsupported: 'Unsupported value',
  TooLong: 'Too long',
  TooMany: 'Too many',
};

function renderValue(value: string | number | boolean | null): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

/** One issue as kube-apiserver prints a field error: `spec.app: Invalid value: "Foo": <message>`. */
export function formatIssue(issue: ValidationIssue): string {
  if (issue.kind === 'UnknownField') return `unknown field "${issue.path}"`;
  const parts = [issue.path || '<nil>', LABELS[issue.kind]];
  const echoesValue = issue.kind !== 'Required' && issue.kind !== 'TooLong';
  if (echoesValue && issue.value !== undefined) parts.push(renderValue(issue.value));
  if (issue.message) parts.push(issue.message);
  return parts.join(': ');
}

/** The whole rejection, as in `AppNetworkPolicy.networking.kf.dev "web" is invalid: [...]`. */
export function formatInvalidObject(qualifiedKind: string, name: string, issues: ValidationIssue[]): string {
  const rendered = issues.map(formatIssue);
  const list = rendered.length === 1 ? rendered[0] : `[${rendered.join(', ')}]`;
  return `${qualifiedKind} ${JSON.stringify(name)} is invalid: ${list}`;
}
