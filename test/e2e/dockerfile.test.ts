/**
 * There is no Docker engine here, so the image is checked by rebuilding its runtime stage by hand:
 * only what the Dockerfile's final stage copies (production dependencies from the lock file, the
 * compiled operator) goes into a directory, and every command must start from there.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

interface Stage {
  name?: string;
  workdir: string;
  copies: { from?: string; source: string; target: string }[];
  env: Record<string, string>;
  /** RUN instructions in exec form, in order. */
  runs: string[][];
}

/** The Dockerfile's stages with their WORKDIR, ENV, COPY and exec-form RUN instructions (enough for this Dockerfile). */
function parseDockerfile(text: string): Stage[] {
  const stages: Stage[] = [];
  for (const line of text.replace(/\\\n/g, ' ').split('\n')) {
    const [instruction, ...args] = line.trim().split(/\s+/);
    if (instruction === 'FROM') stages.push({ name: args[2], workdir: '/', copies: [], env: {}, runs: [] });
    const stage = stages.at(-1);
    if (instruction === 'WORKDIR') stage!.workdir = args[0];
    if (instruction === 'ENV') for (const pair of args) stage!.env[pair.slice(0, pair.indexOf('='))] = pair.slice(pair.indexOf('=') + 1);
    if (instruction === 'RUN' && args[0]?.startsWith('[')) stage!.runs.push(JSON.parse(args.join(' ')) as string[]);
    if (instruction === 'COPY') {
      const from = args.find((a) => a.startsWith('--from='))?.slice('--from='.length);
      const paths = args.filter((a) => !a.startsWith('--'));
      const target = paths.pop()!;
      for (const source of paths) stage!.copies.push({ from, source, target });
    }
  }
  return stages;
}

const stages = parseDockerfile(readFileSync('Dockerfile', 'utf8'));
const build = stages[0];
const runtime = stages.at(-1)!;
let work: string;
let app: string;

/** The script the image's ENTRYPOINT runs (its second element; the first is node). */
const entryScript = (JSON.parse(/^ENTRYPOINT (.*)$/m.exec(readFileSync('Dockerfile', 'utf8'))![1]) as string[])[1];

/** The runtime stage's ENV, with its WORKDIR's paths in the directory standing in for it. */
function imageEnv(): Record<string, string> {
  const env = Object.entries(runtime.env).map(([name, value]) => [name, value.startsWith(`${runtime.workdir}/`) ? join(app, value.slice(runtime.workdir.length)) : value]);
  return { PATH: process.env.PATH!, ...Object.fromEntries(env) };
}

/** Runs the CLI the way the image's ENTRYPOINT does, from the runtime stage's WORKDIR, with its ENV. */
function appnetpol(args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [entryScript, ...args], { cwd: app, encoding: 'utf8', env: { ...imageEnv(), ...env } });
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'appnetpol-image-'));
  // The build stage's result: production dependencies of the lock file, and the compiled code.
  const built = join(work, 'build');
  cpSync('package.json', join(built, 'package.json'));
  cpSync('package-lock.json', join(built, 'package-lock.json'));
  execFileSync('npm', ['ci', '--omit=dev', '--ignore-scripts', '--offline', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: built, stdio: 'ignore' });
  cpSync('dist/bundle', join(built, 'dist/bundle'), { recursive: true });
  mkdirSync(join(built, 'compile-cache'));
  // The runtime stage: exactly its COPY instructions.
  app = join(work, 'app');
  for (const copy of runtime.copies) {
    const source = join(built, copy.source.slice(build.workdir.length));
    cpSync(source, join(app, copy.target.endsWith('/') ? join(copy.target, copy.source.split('/').pop()!) : copy.target), { recursive: true });
  }
  // Then its RUN steps, with its Node (the image's /nodejs/bin/node is this test's).
  for (const [program, ...args] of runtime.runs) {
    expect(program).toBe('/nodejs/bin/node');
    execFileSync(process.execPath, args, { cwd: app, env: imageEnv(), stdio: 'ignore' });
  }
  // The compile cache as the build left it (later commands add to the writable original).
  cpSync(imageEnv().NODE_COMPILE_CACHE, join(work, 'compile-cache-as-built'), { recursive: true });
}, 120_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the Dockerfile', () => {
  it('ships only build output on a distroless Node 24, as a numeric non-root user', () => {
    expect(stages).toHaveLength(2);
    const text = readFileSync('Dockerfile', 'utf8');
    expect(text).toMatch(/^FROM gcr\.io\/distroless\/nodejs24-debian12:nonroot$/m);
    expect(text).toMatch(/^USER 65532:65532$/m);
    expect(runtime.copies.every((copy) => copy.from === build.name && copy.source.startsWith(`${build.workdir}/`))).toBe(true);
    expect(runtime.copies.map((copy) => copy.source)).toEqual(['/src/package.json', '/src/node_modules', '/src/dist/bundle', '/src/compile-cache']);
  });

  it('runs --help and --version from what the runtime stage holds', () => {
    const help = appnetpol(['--help']);
    expect(help.stderr).toBe('');
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/controller[\s\S]*cf-api[\s\S]*render[\s\S]*lint/);
    const version = appnetpol(['--version']);
    expect(version.stdout).toBe(`${JSON.parse(readFileSync('package.json', 'utf8')).version}\n`);
  });

  it('loads the whole controller and cf-api code from it (they stop only at the missing kubeconfig)', () => {
    for (const command of [['controller'], ['cf-api', '--plain-http']]) {
      const run = appnetpol([...command, '--kubeconfig', join(work, 'missing-kubeconfig')]);
      expect(run.stderr).not.toMatch(/ERR_MODULE_NOT_FOUND|Cannot find (module|package)/);
      expect(run.stderr).toContain('missing-kubeconfig');
      expect(run.status).toBe(1);
    }
  });

  it('lints a sample from it', () => {
    cpSync('config/samples/partner-api.yaml', join(work, 'partner-api.yaml'));
    const lint = appnetpol(['lint', join(work, 'partner-api.yaml')]);
    expect(lint.status).toBe(0);
  });

  it('starts the controller and cf-api code from the compile cache its build filled', () => {
    for (const [command, chunk] of [[['controller'], 'controller'], [['cf-api', '--plain-http'], 'cf-api']] as const) {
      const run = appnetpol([...command, '--kubeconfig', join(work, 'missing-kubeconfig')], { NODE_COMPILE_CACHE: join(work, 'compile-cache-as-built'), NODE_DEBUG_NATIVE: 'COMPILE_CACHE' });
      for (const module of ['main', chunk]) expect(run.stderr).toMatch(new RegExp(`V8 code cache for ESM \\S+/dist/bundle/${module}-\\w+\\.js was accepted`));
    }
  });

  it('says what is wrong when the compile cache has no directory to fill', () => {
    const run = spawnSync(process.execPath, [join(app, 'dist/bundle/compile-cache.js')], { encoding: 'utf8', env: { PATH: process.env.PATH } });
    expect(run.stderr).toBe('compile-cache: NODE_COMPILE_CACHE is not set (or its directory cannot be created); nothing was cached\n');
    expect(run.status).toBe(2);
  });
});
