/** The appnetpol command as a user runs it: exit codes and the messages they read. */
import { describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function appnetpol(args: string[], input?: string) {
  const result = spawnSync(process.execPath, ['dist/src/cli/main.js', ...args], { encoding: 'utf8', input, env: { ...process.env, KUBECONFIG: '/nonexistent' } });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('appnetpol CLI', () => {
  it('lints manifests, pointing at the line and the field', () => {
    const result = appnetpol(['lint', 'test/fixtures/appnetworkpolicies/invalid.yaml']);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(
      'test/fixtures/appnetworkpolicies/invalid.yaml:14:13: partner-cp/partner-api (document 2): spec.egress[0].ports[0]: Invalid value: endPort must be greater than or equal to port',
    );
    expect(appnetpol(['lint', 'config/samples/partner-api.yaml']).code).toBe(0);
  });

  it('reports a YAML syntax error with its position, not a stack trace', () => {
    const result = appnetpol(['lint', '-'], 'kind: AppNetworkPolicy\nspec: [\n');
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^-:\d+:\d+: document 1: YAML syntax error: /m);
    expect(result.stdout + result.stderr).not.toContain('    at ');
  });

  it('renders the NetworkPolicy a manifest produces, offline', () => {
    const result = appnetpol(['render', 'config/samples/partner-api.yaml']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('kind: NetworkPolicy');
    expect(result.stdout).toContain('name: appnetpol-partner-api');
    expect(result.stdout).toContain('kubernetes.io/metadata.name: billing-cp');
  });

  it.each([
    [['controller', '--concurrency', '0'], 'appnetpol: invalid configuration: concurrency: must be >= 1'],
    [['controller', '--log-level', 'loud'], 'appnetpol: invalid configuration: logLevel: must be one of fatal, error, warn, info, debug, trace'],
    [['controller', '--config', '/nonexistent/config.yaml'], 'appnetpol: cannot read config file /nonexistent/config.yaml: ENOENT'],
    [['lint', '/nonexistent/manifest.yaml'], 'appnetpol: cannot read /nonexistent/manifest.yaml: ENOENT'],
    [['frobnicate'], "error: unknown command 'frobnicate'"],
  ])('exits with 2 before touching a cluster for %j', (args, message) => {
    const result = appnetpol(args);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
  });

  it('takes configuration from a file and rejects unknown settings by name', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'appnetpol-cli-')), 'config.yaml');
    writeFileSync(file, 'concurrency: 2\nresync: 30\n');
    const result = appnetpol(['controller', '--config', file]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('appnetpol: invalid configuration: (top level): unknown setting "resync"');
  });
});
