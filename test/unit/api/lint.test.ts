import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { formatLintResult, lintManifests } from '../../../src/cli/lint.js';

const fixture = (name: string) => readFileSync(new URL(`../../fixtures/appnetworkpolicies/${name}`, import.meta.url), 'utf8');

describe('lintManifests', () => {
  it('passes valid multi-document files', () => {
    const result = lintManifests(fixture('valid.yaml'), 'valid.yaml');
    expect(result).toMatchObject({ ok: true, documents: 2, checked: 2, diagnostics: [] });
    expect(formatLintResult(result)).toBe('valid.yaml: OK, 2 AppNetworkPolicies checked\n');
  });

  it('reports file, position, document, name and field path, and notes skipped kinds', () => {
    const result = lintManifests(fixture('invalid.yaml'), 'invalid.yaml');
    expect(result.ok).toBe(false);
    expect(result.diagnostics[1]).toMatchObject({
      severity: 'error', source: 'invalid.yaml', document: 2, name: 'partner-cp/partner-api', line: 14, column: 13, path: 'spec.egress[0].ports[0]',
    });
    expect(formatLintResult(result)).toBe(
      [
        'invalid.yaml:2:1: note: settings (document 1): skipped: ConfigMap is not an AppNetworkPolicy',
        'invalid.yaml:14:13: partner-cp/partner-api (document 2): spec.egress[0].ports[0]: Invalid value: endPort must be greater than or equal to port',
        'invalid.yaml: 1 error (2 AppNetworkPolicies checked)',
        '',
      ].join('\n'),
    );
  });

  it('points at the parent when the offending field is missing', () => {
    const text = 'apiVersion: networking.kf.dev/v1alpha1\nkind: AppNetworkPolicy\nmetadata:\n  name: web\n';
    expect(formatLintResult(lintManifests(text, 'p.yaml'))).toBe(
      [
        'p.yaml:1:1: web (document 1): spec: Required value',
        'p.yaml:1:1: web (document 1): <nil>: Invalid value: null: some validation rules were not checked because the object was invalid; correct the existing errors to complete validation',
        'p.yaml: 2 errors (1 AppNetworkPolicy checked)',
        '',
      ].join('\n'),
    );
  });

  it('reports YAML syntax errors with line and column, and checks the other documents', () => {
    const text = ['spec: [1', 'kind: x', '---', 'kind: AppNetworkPolicy', 'kind: again', '---', 'apiVersion: networking.kf.dev/v1alpha1', 'kind: AppNetworkPolicy', 'metadata: {name: ok}', 'spec: {app: ok, ingress: []}'].join('\n');
    const result = lintManifests(text, 'broken.yaml');
    expect(formatLintResult(result)).toBe(
      [
        'broken.yaml:2:1: document 1: YAML syntax error: Flow sequence in block collection must be sufficiently indented and end with a ]',
        'broken.yaml:5:1: document 2: YAML syntax error: Map keys must be unique',
        'broken.yaml: 2 errors (1 AppNetworkPolicy checked)',
        '',
      ].join('\n'),
    );
  });

  it('rejects documents that are not objects and ignores empty ones', () => {
    const result = lintManifests('---\n---\n- a\n- b\n', 'list.yaml');
    expect(formatLintResult(result)).toBe(
      ['list.yaml:3:1: document 2: not a Kubernetes object: expected a mapping with apiVersion and kind', 'list.yaml: 1 error (0 AppNetworkPolicies checked)', ''].join('\n'),
    );
  });

  it('accepts an empty file', () => {
    expect(lintManifests('', 'empty.yaml')).toMatchObject({ ok: true, documents: 0, checked: 0, diagnostics: [] });
  });

  it('does not expand runaway aliases', () => {
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]', 'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]', 'c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]', 'kind: AppNetworkPolicy'].join('\n');
    const [diagnostic] = lintManifests(bomb, 'bomb.yaml').diagnostics;
    expect(diagnostic).toMatchObject({ severity: 'error', line: 1, column: 1 });
    expect(diagnostic!.message).toMatch(/^YAML error: /);
  });
});
