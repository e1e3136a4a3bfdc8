/**
 * There is no Docker engine here, so the image is checked by rebuilding its runtime stage by hand:
 * only what the Dockerfile's final stage copies (production dependencies from the lock file, the
 * compiled operator) goes into a directory, and every command must start from there.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

interface Stage {
  name?: string;
  workdir: string;
  copies: { from?: string; source: string; target: string }[];
}

/** The Dockerfile's stages with their WORKDIR and COPY instructions (enough for this Dockerfile). */
function parseDockerfile(text: string): Stage[] {
  const stages: Stage[] = [];
  for (const line of text.replace(/\\\n/g, ' ').split('\n')) {
    const [instruction, ...args] = line.trim().split(/\s+/);
    if (instruction === 'FROM') stages.push({ name: args[2], workdir: '/', copies: [] });
    const stage = stages.at(-1);
    if (instruction === 'WORKDIR') stage!.workdir = args[0];
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

/** Runs the CLI the way the image's ENTRYPOINT does, from the runtime stage's WORKDIR. */
function appnetpol(...args: string[]) {
  return spawnSync(process.execPath, [entryScript, ...args], { cwd: app, encoding: 'utf8', env: { PATH: process.env.PATH, NODE_ENV: 'production' } });
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'appnetpol-image-'));
  // The build stage's result: production dependencies of the lock file, and the compiled code.
  const built = join(work, 'build');
  cpSync('package.json', join(built, 'package.json'));
  cpSync('package-lock.json', join(built, 'package-lock.json'));
  execFileSync('npm', ['ci', '--omit=dev', '--ignore-scripts', '--offline', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: built, stdio: 'ignore' });
  cpSync('dist/bundle', join(built, 'dist/bundle'), { recursive: true });
  // The runtime stage: exactly its COPY instructions.
  app = join(work, 'app');
  for (const copy of runtime.copies) {
    const source = join(built, copy.source.slice(build.workdir.length));
    cpSync(source, join(app, copy.target.endsWith('/') ? join(copy.target, copy.source.split('/').pop()!) : copy.target), { recursive: true });
  }
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
    expect(runtime.copies.map((copy) => copy.source)).toEqual(['/src/package.json', '/src/node_modules', '/src/dist/bundle']);
  });

  it('runs --help and --version from what the runtime stage holds', () => {
    const help = appnetpol('--help');
    expect(help.stderr).toBe('');
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/controller[\s\S]*cf-api[\s\S]*render[\s\S]*lint/);
    const version = appnetpol('--version');
    expect(version.stdout).toBe(`${JSON.parse(readFileSync('package.json', 'utf8')).version}\n`);
  });

  it('loads the whole controller and cf-api code from it (they stop only at the missing kubeconfig)', () => {
    for (const command of [['controller'], ['cf-api', '--plain-http']]) {
      const run = appnetpol(...command, '--kubeconfig', join(work, 'missing-kubeconfig'));
      expect(run.stderr).not.toMatch(/ERR_MODULE_NOT_FOUND|Cannot find (module|package)/);
      expect(run.stderr).toContain('missing-kubeconfig');
      expect(run.status).toBe(1);
    }
  });

  it('lints a sample from it', () => {
    cpSync('config/samples/partner-api.yaml', join(work, 'partner-api.yaml'));
    const lint = appnetpol('lint', join(work, 'partner-api.yaml'));
    expect(lint.status).toBe(0);
  });
});
