import { describe, expect, it } from '@jest/globals';
import { watchEvents } from '../../../src/runtime/kube-client.js';

const PATH = '/api/v1/configmaps';
const event = (name: string) => JSON.stringify({ type: 'ADDED', object: { metadata: { name } } });

describe('watchEvents', () => {
  it('takes the complete lines and keeps the incomplete one for the next chunk', () => {
    const first = watchEvents(`${event('a')}\n${event('b')}\n${event('c').slice(0, 10)}`, PATH);
    expect(first.events.map((e) => e.object.metadata?.name)).toEqual(['a', 'b']);
    const second = watchEvents(first.rest + `${event('c').slice(10)}\n`, PATH);
    expect(second).toEqual({ events: [{ type: 'ADDED', object: { metadata: { name: 'c' } } }], rest: '' });
  });

  it('skips blank lines and waits for a line without its newline yet', () => {
    expect(watchEvents(`\n\r\n${event('a')}`, PATH)).toEqual({ events: [], rest: event('a') });
  });

  it('says which watch sent a line that is not JSON, and shows the start of the line', () => {
    expect(() => watchEvents(`${event('a')}\n<html>${'x'.repeat(200)}\n`, PATH)).toThrow(`GET ${PATH}: a watch event is not JSON: <html>${'x'.repeat(94)}…`);
    expect(() => watchEvents('oops\n', PATH)).toThrow(`GET ${PATH}: a watch event is not JSON: oops`);
  });
});
