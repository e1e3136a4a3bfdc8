/** The appnetpol command as a user runs it: exit codes and the messages they read. */
import { describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const manifest = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string; engines: { node: string } };

function appnetpol(args: string[], input?: string, node = process.execPath, nodeArgs: string[] = []) {
  const result = spawnSync(node, [...nodeArgs, 'dist/src/cli/appnetpol.js', ...args], { encoding: 'utf8', input, env: { ...process.env, KUBECONFIG: '/nonexistent' } });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** The first `node` on PATH that is not the one running the tests (the system Node.js, older here). */
function otherNode(): { path: string; version: string } | undefined {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    const path = `${dir}/node`;
    const version = spawnSync(path, ['-p', 'process.versions.node'], { encoding: 'utf8' });
    if (version.status === 0 && version.stdout.trim() !== process.versions.node) return { path, version: version.stdout.trim() };
  }
  return undefined;
}

describe('appnetpol CLI', () => {
  it('prints its version', () => {
    expect(appnetpol(['--version'])).toEqual({ code: 0, stdout: `${manifest.version}\n`, stderr: '' });
  });

  it('names the Node.js to use, in one line and before loading anything, on a Node.js older than engines.node', () => {
    // Posing as Node.js 20 before the entry point runs; the controller's dependencies crash on a real one.
    const pose = ['--import', "data:text/javascript,Object.defineProperty(process.versions,'node',{value:'20.11.1'})"];
    const result = appnetpol(['controller'], undefined, process.execPath, pose);
    expect(result).toEqual({ code: 2, stdout: '', stderr: `appnetpol needs Node.js ${manifest.engines.node.replace('>=', '')} or newer; this is Node.js 20.11.1.\n` });
  });

  it('says the same on a real older Node.js when one is installed', () => {
    const node = otherNode();
    if (!node || Number(node.version.split('.')[0]) >= 22) return;
    expect(appnetpol(['controller'], undefined, node.path).stderr).toBe(`appnetpol needs Node.js ${manifest.engines.node.replace('>=', '')} or newer; this is Node.js ${node.version}.\n`);
  });

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

