/**
 * The package as published and installed: package.json, its lock file and the license it names.
 *
 * `npm ci` (CI, the Dockerfile) refuses a lock file that disagrees with package.json; this catches the
 * drift at unit-test time, with the name of what drifted, instead of on the next clean install.
 */
import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';

interface Manifest {
  name: string;
  version: string;
  license?: string;
  engines?: Record<string, string>;
  bin?: Record<string, string>;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

const manifest = JSON.parse(readFileSync('package.json', 'utf8')) as Manifest;
const lock = JSON.parse(readFileSync('package-lock.json', 'utf8')) as { lockfileVersion: number; packages: Record<string, Manifest> };
const root = lock.packages[''];
const declared = { ...manifest.dependencies, ...manifest.devDependencies };

describe('package-lock.json', () => {
  it('has the root entry npm ci compares with package.json', () => {
    expect(lock.lockfileVersion).toBe(3);
    expect({ name: root.name, version: root.version, license: root.license, engines: root.engines, bin: root.bin })
      .toEqual({ name: manifest.name, version: manifest.version, license: manifest.license, engines: manifest.engines, bin: manifest.bin });
    expect(root.dependencies ?? {}).toEqual(manifest.dependencies ?? {});
    expect(root.devDependencies ?? {}).toEqual(manifest.devDependencies ?? {});
  });

  it('locks every direct dependency at the exact version package.json pins', () => {
    const locked = Object.fromEntries(Object.keys(declared).map((name) => [name, lock.packages[`node_modules/${name}`]?.version]));
    expect(locked).toEqual(declared);
  });

  it('pins exact versions only', () => {
    expect(Object.entries(declared).filter(([, version]) => !/^\d+\.\d+\.\d+$/.test(version))).toEqual([]);
  });
});

describe('LICENSE', () => {
  it('is the license package.json names, in its standard text', () => {
    expect(manifest.license).toBe('Apache-2.0');
    const text = readFileSync('LICENSE', 'utf8');
    expect(text).toMatch(/^\s+Apache License\n\s+Version 2\.0, January 2004\n\s+http:\/\/www\.apache\.org\/licenses\/\n/);
    expect(text).toContain('END OF TERMS AND CONDITIONS');
    expect(text.split('\n')).toHaveLength(203);
  });
});
