/** Whether this Node.js satisfies package.json's engines.node; pure, so the entry point can ask before importing anything. */

/** The message for a Node.js older than `range` (a `>=X[.Y[.Z]]` range), or undefined when it is new enough. */
export function nodeVersionProblem(current: string, range: string): string | undefined {
  const minimum = /^>=\s*(\d+(?:\.\d+){0,2})$/.exec(range.trim())?.[1];
  if (!minimum) throw new Error(`engines.node must be a ">=X.Y.Z" range, not ${JSON.stringify(range)}`);
  const have = parts(current);
  const need = parts(minimum);
  for (let i = 0; i < 3; i++) {
    if (have[i] !== need[i]) {
      return have[i] > need[i] ? undefined : `appnetpol needs Node.js ${minimum} or newer; this is Node.js ${current}.`;
    }
  }
  return undefined;
}

function parts(version: string): number[] {
  const numbers = version.replace(/^v/, '').split(/[.-]/).slice(0, 3).map(Number);
  return [0, 1, 2].map((i) => numbers[i] || 0);
}
