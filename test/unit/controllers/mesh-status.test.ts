import { describe, expect, it } from '@jest/globals';
import { MeshStatusBoard } from '../../../src/controllers/mesh-status.js';
import type { MeshResult } from '../../../src/planner/mesh-conditions.js';

const result = (generation: number): MeshResult => ({ generation, objects: ['Sidecar appnetpol-web'], notes: [], missingServiceAccounts: [], writeProblems: [] });

describe('MeshStatusBoard', () => {
  it('tells listeners only which policies changed, and forgets those no longer published', () => {
    const board = new MeshStatusBoard();
    board.detectWith(() => ({ on: true }));
    const changes: (readonly string[] | 'all')[] = [];
    board.onChange((keys) => changes.push(keys));

    board.publish('shop', new Map([['web', result(1)], ['cart', result(1)]]));
    board.publish('shop', new Map([['web', result(2)], ['cart', result(1)]]));
    board.publish('shop', new Map([['web', result(2)]]));
    board.publish('shop', new Map([['web', result(2)]]));
    expect(changes).toEqual([['shop/web', 'shop/cart'], ['shop/web'], ['shop/cart']]);
    expect(board.view('shop/web')).toEqual({ mode: { on: true }, result: result(2) });
    expect(board.view('shop/cart').result).toBeUndefined();

    board.modeChanged();
    expect(changes.at(-1)).toBe('all');
    expect(board.view('shop/web').result).toBeUndefined();
  });

  it('reports a fixed reason when mesh output is off by configuration', () => {
    const board = new MeshStatusBoard('mesh output is disabled in the operator configuration (mesh.enabled: false)');
    expect(board.view('shop/web')).toEqual({ mode: { on: false, reason: 'mesh output is disabled in the operator configuration (mesh.enabled: false)' }, result: undefined });
  });
});
