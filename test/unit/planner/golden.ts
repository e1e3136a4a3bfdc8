/**
 * Golden files: compare output with `<case>.golden.yaml`; `UPDATE_GOLDEN=1` rewrites them instead.
 * Also the helpers the planner golden tests share.
 */
import { expect } from '@jest/globals';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_ENTITIES, type EntityConfig } from '../../../src/config/entities.js';

const INPUT_SUFFIX = '.input.yaml';

/** Case names of every `<case>.input.yaml` in `directory`, sorted. */
export function goldenCases(directory: string): string[] {
  return readdirSync(directory)
    .filter((file) => file.endsWith(INPUT_SUFFIX))
    .map((file) => file.slice(0, -INPUT_SUFFIX.length))
    .sort();
}

export function readInput(directory: string, name: string): string {
  return readFileSync(join(directory, `${name}${INPUT_SUFFIX}`), 'utf8');
}

export function expectGolden(directory: string, name: string, actual: string): void {
  const file = join(directory, `${name}.golden.yaml`);
  if (process.env.UPDATE_GOLDEN === '1') {
    writeFileSync(file, actual);
    return;
  }
  if (!existsSync(file)) throw new Error(`${file} is missing; run the tests with UPDATE_GOLDEN=1 to create it`);
  expect(actual).toBe(readFileSync(file, 'utf8'));
}

/** Every empty list or map in a written object would be dropped by the API server and read back different. */
export function emptyCollections(value: unknown, path = ''): string[] {
  if (Array.isArray(value)) {
    return value.length ? value.flatMap((item, i) => emptyCollections(item, `${path}[${i}]`)) : [path];
  }
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value);
    // The server keeps an empty selector (matches everything) and an empty rule (allows everything).
    const keptWhenEmpty = /(podSelector|namespaceSelector|(ingress|egress)\[\d+\])$/.test(path);
    if (!entries.length && !keptWhenEmpty) return [path];
    return entries.flatMap(([key, item]) => emptyCollections(item, `${path}.${key}`));
  }
  return value === undefined ? [path] : [];
}

/** The default entities with a case's overrides merged over them; null removes an entry. */
export function entityConfig(overrides: Record<string, unknown> | undefined): EntityConfig {
  const merged: Record<string, unknown> = { ...DEFAULT_ENTITIES, ...overrides };
  return Object.fromEntries(Object.entries(merged).filter(([, value]) => value !== null)) as unknown as EntityConfig;
}
