#!/usr/bin/env node
/**
 * The appnetpol executable. Dependencies crash on an older Node.js while they load, so the version check
 * runs first, importing only Node built-ins, and the command line is loaded only once it passes.
 */
import { nodeVersionProblem } from './node-version.js';
import { readPackageManifest } from '../runtime/package-manifest.js';

/** An unusable environment, like an invalid configuration: nothing was attempted. */
const EXIT_WRONG_NODE = 2;

const problem = nodeVersionProblem(process.versions.node, readPackageManifest().engines.node);
if (problem) {
  process.stderr.write(`${problem}\n`);
  process.exitCode = EXIT_WRONG_NODE;
} else {
  const { main } = await import('./main.js');
  await main(process.argv);
}
