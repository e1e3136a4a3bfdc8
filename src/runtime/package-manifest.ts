/**
 * The package's own package.json, found by walking up from this file: compiled code lives in
 * dist/src, the sources (tests) in src, and the image ships package.json beside dist/.
 * Imports nothing but Node built-ins, so the entry point can read it before any dependency loads.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface PackageManifest {
  name: string;
  version: string;
  engines: { node: string };
}

export function readPackageManifest(): PackageManifest {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const manifest = JSON.parse(readFileSync(file, 'utf8')) as PackageManifest;
      if (manifest.name === 'appnetpol') return manifest;
    }
    if (dirname(dir) === dir) throw new Error('package.json of appnetpol not found');
  }
}
