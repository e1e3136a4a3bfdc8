/** Writes `content` to a config file of its own and returns its path. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function configFile(content: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'appnetpol-config-')), 'config.yaml');
  writeFileSync(path, content);
  return path;
}
