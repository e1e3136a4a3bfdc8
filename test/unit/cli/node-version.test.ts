import { describe, expect, it } from '@jest/globals';
import { nodeVersionProblem } from '../../../src/cli/node-version.js';

describe('nodeVersionProblem', () => {
  it.each([
    ['22.19.0', '>=22.19'],
    ['22.20.1', '>=22.19'],
    ['24.0.0', '>=22.19'],
    ['v24.21.0', '>= 22.19.0'],
  ])('accepts Node.js %s for %s', (current, range) => {
    expect(nodeVersionProblem(current, range)).toBeUndefined();
  });

  it.each([
    ['22.18.9', '>=22.19'],
    ['20.20.2', '>=22.19'],
    ['22.19.0-pre', '>=22.19.1'],
  ])('names the Node.js to use instead of %s for %s', (current, range) => {
    expect(nodeVersionProblem(current, range)).toBe(`appnetpol needs Node.js ${range.replace(/^>=\s*/, '')} or newer; this is Node.js ${current}.`);
  });

  it('refuses an engines range it cannot read rather than guessing', () => {
    expect(() => nodeVersionProblem('24.0.0', '^22')).toThrow('engines.node must be a ">=X.Y.Z" range, not "^22"');
  });
});
