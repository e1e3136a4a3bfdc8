/**
 * Fills Node's module compile cache with the bundle's code; the image runs it when it is built
 * (Dockerfile), so a container does not compile the same code at every start (about a tenth of the
 * start-up). Node finds the cache through NODE_COMPILE_CACHE, which must be set for this run as for the
 * image. Loading a module runs its top level, so every chunk but the entry point is imported: they only
 * define, and the entry point would run the command line.
 */
import { flushCompileCache, getCompileCacheDir } from 'node:module';
import { readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = fileURLToPath(import.meta.url);
const cacheDir = getCompileCacheDir();
if (!cacheDir) {
  process.stderr.write('compile-cache: NODE_COMPILE_CACHE is not set (or its directory cannot be created); nothing was cached\n');
  process.exit(2);
}
const entryPoints = new Set([basename(here), 'appnetpol.js']);
const bundleDir = dirname(here);
const chunks = readdirSync(bundleDir).filter((file) => file.endsWith('.js') && !entryPoints.has(file));
for (const chunk of chunks) await import(pathToFileURL(join(bundleDir, chunk)).href);
flushCompileCache();
process.stdout.write(`compile-cache: ${chunks.length} modules cached in ${cacheDir}\n`);
