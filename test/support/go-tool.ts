/** The Go tools of test/tools, each built from its pinned module by hack/build-go-tool.sh into the cache on first use. */
import { execFileSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Source (test/support) and compiled (dist/test/support) copies both live below the repository root. */
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), import.meta.url.includes('/dist/test/') ? '../../..' : '../..');

const built = new Map<string, string>();

/** The tool's binary, built when missing (a cold build downloads modules and takes a minute or two). */
export function goTool(tool: string): string {
  let binary = built.get(tool);
  if (!binary) {
    const out = execFileSync('bash', [join(repoRoot, 'hack/build-go-tool.sh'), tool], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    built.set(tool, (binary = out.trim().split('\n').at(-1)!));
  }
  return binary;
}
