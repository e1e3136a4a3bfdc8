/** `appnetpol lint`: checks AppNetworkPolicy manifests offline, with the API server's messages. */
import { type Document, LineCounter, parseAllDocuments, type YAMLError } from 'yaml';
import { KIND } from '../api/types.js';
import { formatIssue, validateAppNetworkPolicy, type ValidationIssue } from '../api/validate.js';

export interface LintDiagnostic {
  severity: 'error' | 'note';
  source: string;
  /** Position of the document in the file, counting from 1. */
  document: number;
  /** `namespace/name` (or `name`) of the object, when it has one. */
  name?: string;
  /** 1-based line and column of the offending node (or its nearest existing parent). */
  line?: number;
  column?: number;
  /** The Kubernetes field path of a validation issue. */
  path?: string;
  message: string;
}

export interface LintResult {
  source: string;
  ok: boolean;
  documents: number;
  checked: number;
  diagnostics: LintDiagnostic[];
}

type Position = { line: number; column: number };
type Segment = string | number;

/** `spec.ingress[0].ports` -> ['spec', 'ingress', 0, 'ports']; bracketed map keys stay strings. */
function segmentsOf(path: string): Segment[] {
  return [...path.matchAll(/([^.[\]]+)|\[([^\]]*)\]/g)].map(([, field, bracketed]) =>
    field !== undefined ? field : /^\d+$/.test(bracketed!) ? Number(bracketed) : bracketed!,
  );
}

/** Where the node at `path` starts, or its nearest ancestor when the field is missing. */
function positionOf(doc: Document, lines: LineCounter, path: string): Position | undefined {
  const segments = segmentsOf(path);
  for (let depth = segments.length; depth >= 0; depth--) {
    const node = depth === 0 ? doc.contents : doc.getIn(segments.slice(0, depth), true);
    const offset = (node as { range?: [number, number, number] } | null | undefined)?.range?.[0];
    if (offset !== undefined) {
      const { line, col } = lines.linePos(offset);
      return { line, column: col };
    }
  }
  return undefined;
}

function objectName(obj: Record<string, unknown>): string | undefined {
  const metadata = obj.metadata as { name?: unknown; namespace?: unknown } | undefined;
  if (typeof metadata?.name !== 'string') return undefined;
  return typeof metadata.namespace === 'string' ? `${metadata.namespace}/${metadata.name}` : metadata.name;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function syntaxErrors(errors: YAMLError[], base: { source: string; document: number }, lines: LineCounter): LintDiagnostic[] {
  return errors.map((error) => {
    const { line, col } = lines.linePos(error.pos[0]);
    return { ...base, severity: 'error', line, column: col, message: `YAML syntax error: ${error.message}` };
  });
}

function lintDocument(doc: Document, index: number, source: string, lines: LineCounter): LintDiagnostic[] {
  const base = { source, document: index + 1 };
  if (doc.errors.length > 0) return syntaxErrors(doc.errors, base, lines);
  const start = positionOf(doc, lines, '');
  let obj: unknown;
  try {
    obj = doc.toJS({ maxAliasCount: 100 }); // bounds alias expansion ("billion laughs")
  } catch (error) {
    return [{ ...base, ...start, severity: 'error', message: `YAML error: ${(error as Error).message}` }];
  }
  if (obj === null || obj === undefined) return [];
  if (!isPlainObject(obj)) {
    return [{ ...base, ...start, severity: 'error', message: 'not a Kubernetes object: expected a mapping with apiVersion and kind' }];
  }
  const name = objectName(obj);
  if (obj.kind !== KIND) {
    const what = typeof obj.kind === 'string' ? obj.kind : 'an object without kind';
    return [{ ...base, ...start, name, severity: 'note', message: `skipped: ${what} is not an ${KIND}` }];
  }
  return validateAppNetworkPolicy(obj).map((issue: ValidationIssue) => ({
    ...base,
    ...positionOf(doc, lines, issue.path),
    name,
    severity: 'error',
    path: issue.path,
    message: formatIssue(issue),
  }));
}

/** Validates every AppNetworkPolicy in a (multi-document) YAML text; other kinds get a note. Never throws on bad input. */
export function lintManifests(text: string, source: string): LintResult {
  const lines = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter: lines, prettyErrors: false });
  // A stream without documents can still carry errors, e.g. a stray directive.
  const streamErrors = 'empty' in docs ? syntaxErrors(docs.errors, { source, document: 1 }, lines) : [];
  const diagnostics = [...streamErrors, ...docs.flatMap((doc, i) => lintDocument(doc, i, source, lines))];
  const checked = docs.filter((doc) => doc.errors.length === 0 && doc.get('kind') === KIND).length;
  return {
    source,
    ok: !diagnostics.some((d) => d.severity === 'error'),
    documents: docs.length,
    checked,
    diagnostics,
  };
}

function formatDiagnostic(d: LintDiagnostic): string {
  const location = [d.source, d.line, d.column].filter((part) => part !== undefined).join(':');
  const subject = d.name ? `${d.name} (document ${d.document})` : `document ${d.document}`;
  return `${location}: ${d.severity === 'note' ? 'note: ' : ''}${subject}: ${d.message}`;
}

/** One line per diagnostic (`file:line:col: name (document n): message`), then a summary line. */
export function formatLintResult(result: LintResult): string {
  const errors = result.diagnostics.filter((d) => d.severity === 'error').length;
  const policies = `${result.checked} ${result.checked === 1 ? KIND : 'AppNetworkPolicies'} checked`;
  const summary = result.ok
    ? `${result.source}: OK, ${policies}`
    : `${result.source}: ${errors} error${errors === 1 ? '' : 's'} (${policies})`;
  return [...result.diagnostics.map(formatDiagnostic), summary].map((line) => `${line}\n`).join('');
}
