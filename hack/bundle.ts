/**
 * Bundles the compiled CLI into dist/bundle/ (run by `npm run build`), which the image runs. Loading
 * hundreds of modules one by one took most of the operator's start-up, and @kubernetes/client-node's
 * generated API classes and models, which appnetpol never calls, most of its memory at start: one
 * bundle, with what is never reached left out, starts in about half the time and memory.
 * Packages that only some commands load, late and by themselves, stay in node_modules.
 */
import { build, type Plugin } from 'esbuild';
import { readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// Compiled to dist/hack/, so the repository root is two levels up.
const root = fileURLToPath(new URL('../../', import.meta.url));
const outdir = `${root}dist/bundle`;

/**
 * `node:http` imported as an ES module builds a facade of all its exports, and reading them loads Node's
 * own copy of undici (for `http.WebSocket`): about 50 ms and 14 MiB at every start. Required as CommonJS,
 * nothing reads those getters.
 */
const httpAsCommonJs: Plugin = {
  name: 'http-as-commonjs',
  setup(bundle) {
    bundle.onResolve({ filter: /^(node:)?https?$/ }, (args) =>
      // The module's own require() stays Node's.
      args.namespace === 'http-as-commonjs' ? { path: args.path, external: true } : { path: args.path.replace(/^(node:)?/, 'node:'), namespace: 'http-as-commonjs' },
    );
    bundle.onLoad({ filter: /.*/, namespace: 'http-as-commonjs' }, (args) => ({ contents: `module.exports = require(${JSON.stringify(args.path)});`, loader: 'js' }));
  },
};

/**
 * client-node's generated model classes set static fields when loaded, so esbuild cannot tell that they are
 * unused; appnetpol reads plain JSON and needs none of them (about 0.45 MB of code, 8 MiB at start). Its
 * ListWatch reaches them only through ObjectSerializer, which passes the selectors (strings) through
 * unchanged; that use is checked here, so a client-node that needs the serializer for more fails the build.
 */
const clientNodeWithoutModels: Plugin = {
  name: 'client-node-without-models',
  setup(bundle) {
    bundle.onResolve({ filter: /^\.\/serializer\.js$/ }, (args) => {
      if (!/client-node[\\/]dist[\\/]cache\.js$/.test(args.importer)) return undefined;
      const uses = readFileSync(args.importer, 'utf8').match(/ObjectSerializer\.[^;]*/g) ?? [];
      const other = uses.filter((use) => !/^ObjectSerializer\.serialize\(this\.\w+, 'string'\)$/.test(use));
      if (other.length > 0) return { errors: [{ text: `client-node's ListWatch uses its ObjectSerializer for more than strings: ${other.join('; ')}` }] };
      return { path: 'serializer', namespace: 'strings-only-serializer' };
    });
    bundle.onLoad({ filter: /.*/, namespace: 'strings-only-serializer' }, () => ({ contents: 'export const ObjectSerializer = { serialize: (value) => value };', loader: 'js' }));
    bundle.onResolve({ filter: /.*/ }, async (args) => {
      if (args.pluginData === 'models' || !/client-node[\\/]dist[\\/]gen[\\/]/.test(args.importer)) return undefined;
      const resolved = await bundle.resolve(args.path, { kind: args.kind, importer: args.importer, resolveDir: args.resolveDir, pluginData: 'models' });
      return /[\\/]gen[\\/]models[\\/]/.test(resolved.path) ? { ...resolved, sideEffects: false } : resolved;
    });
  },
};

/**
 * undici's entry point loads all of it: fetch, WebSocket, EventSource, its caches and mocks (the first log
 * line came about 50 ms later for it). appnetpol uses only its connection pools and request API (client-node's
 * KubeConfig builds agents; the client's requests and watches use `request`), so the bundle gets an entry
 * with just those. client-node's unused Watch and generated HTTP library still name `fetch`: it throws.
 * Importing any other name from undici fails the build.
 */
const undiciPoolsOnly: Plugin = {
  name: 'undici-pools-only',
  setup(bundle) {
    bundle.onResolve({ filter: /^undici$/ }, (args) => ({ path: 'undici', namespace: 'undici-pools-only', pluginData: args.resolveDir }));
    bundle.onLoad({ filter: /.*/, namespace: 'undici-pools-only' }, (args) => ({
      resolveDir: args.pluginData as string,
      loader: 'js',
      contents: [
        "import Dispatcher from 'undici/lib/dispatcher/dispatcher.js';",
        "import api from 'undici/lib/api/index.js';",
        "import Agent from 'undici/lib/dispatcher/agent.js';",
        "import ProxyAgent from 'undici/lib/dispatcher/proxy-agent.js';",
        // What undici's own entry does to give every pool its request API.
        'Object.assign(Dispatcher.prototype, api);',
        "const fetch = () => { throw new Error('undici fetch is left out of the appnetpol bundle (hack/bundle.ts)'); };",
        'export { Agent, Dispatcher, ProxyAgent, fetch };',
      ].join('\n'),
    }));
  },
};

rmSync(outdir, { recursive: true, force: true });
await build({
  absWorkingDir: root,
  // compile-cache.js fills Node's compile cache with the other chunks when the image is built.
  entryPoints: ['dist/src/cli/appnetpol.js', 'dist/src/cli/compile-cache.js'],
  outdir,
  bundle: true,
  // Commands load their own code on demand (import()): the controller never loads the CF API's.
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node22',
  // Tracing's SDK, the CF API's web server and the graph renderer: loaded only when asked for.
  // The OpenTelemetry API stays beside the SDK: with a bundled copy of its own, spans lost their parents.
  external: ['@opentelemetry/*', 'fastify', '@fastify/*', '@viz-js/viz'],
  // CommonJS dependencies call require(); an ES module has none of its own.
  banner: { js: "import { createRequire as __appnetpolCreateRequire } from 'node:module'; const require = __appnetpolCreateRequire(import.meta.url);" },
  // V8 keeps every module's source in the heap: without blanks and comments it is a third smaller and
  // parses sooner. Names stay, so stack traces and profiles still read; the source maps give lines.
  minifyWhitespace: true,
  minifySyntax: true,
  sourcemap: true,
  plugins: [httpAsCommonJs, clientNodeWithoutModels, undiciPoolsOnly],
  logLevel: 'warning',
});
