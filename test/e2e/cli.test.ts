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

  describe('explain and reach, offline', () => {
    const scenario = ['-f', 'docs/examples/partner-scenario.yaml', 'config/samples/partner-api.yaml'];

    it('explains an allowed flow with exit code 0 and a denied one with 1', () => {
      const allowed = appnetpol(['explain', ...scenario, '--from', 'billing-cp/billing-backend', '--to', 'partner-cp/partner-api', '--port', '5080']);
      expect(allowed.code).toBe(0);
      expect(allowed.stdout).toMatch(/^ALLOWED: billing-cp\/billing-backend -> partner-cp\/partner-api on TCP 5080\n/);
      const denied = appnetpol(['explain', ...scenario, '--from', 'partner-cp/partner-api', '--to', 'billing-cp/billing-backend', '--port', 'TCP/5080', '-o', 'json']);
      expect(denied.code).toBe(1);
      expect(JSON.parse(denied.stdout)).toMatchObject({ allowed: false, egress: { allowed: false }, ingress: { allowed: false } });
    });

    it('draws the matrix as SVG', () => {
      const result = appnetpol(['reach', '-A', ...scenario, '-o', 'svg']);
      expect(result.code).toBe(0);
      expect(result.stdout).toContain('<svg');
      expect(result.stdout).toContain('TCP 5555');
    });

    it.each([
      [['explain', ...scenario, '--from', 'billing-cp/nope', '--to', 'partner-cp/partner-api', '--port', '5080'], 'appnetpol: no app "nope" in space "billing-cp": no Kf App of that name and no pod labelled app.kubernetes.io/name=nope'],
      [['explain', ...scenario, '--from', 'billing-cp', '--to', 'partner-cp/partner-api', '--port', '5080'], 'appnetpol: endpoint "billing-cp" is not SPACE/APP, NAMESPACE/pod/NAME or an IP address'],
      [['explain', ...scenario, '--from', 'billing-cp/billing-backend', '--to', 'partner-cp/partner-api', '--port', 'http'], 'appnetpol: port "http" is not [TCP|UDP|SCTP/]PORT with PORT 1-65535'],
      [['explain', '-f', '/nonexistent/x.yaml', '--from', 'a/b', '--to', 'c/d', '--port', '80'], 'appnetpol: cannot read /nonexistent/x.yaml: ENOENT'],
      [['explain', '--from', 'a/b', '--to', 'c/d', '--port', '80', '--kubeconfig', '/nonexistent/kubeconfig'], 'appnetpol: cannot read kubeconfig /nonexistent/kubeconfig'],
      [['reach', ...scenario, '-n', 'nowhere'], 'appnetpol: no apps in space "nowhere"'],
      [['reach', ...scenario, '-A', '-o', 'png'], 'appnetpol: output format "png" is not one of table, json, dot, svg'],
      [['reach', ...scenario, '-A', '--port', 'UDP/0'], 'appnetpol: port "UDP/0" is not [TCP|UDP|SCTP/]PORT with PORT 1-65535'],
      [['reach', '-A', '-f', '-'], 'appnetpol: - document 1: '],
    ])('says what is wrong in one line and exits with 2: %j', (args, message) => {
      const result = appnetpol(args, args.includes('-') ? 'kind: [unclosed\n' : undefined);
      expect(result.code).toBe(2);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      expect(result.stderr).toContain(message);
      expect(result.stdout).toBe('');
    });
  });
});

