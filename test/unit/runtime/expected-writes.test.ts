import { describe, expect, it } from '@jest/globals';
import { ExpectedWrites } from '../../../src/runtime/expected-writes.js';

describe('ExpectedWrites', () => {
  const expectations = () => {
    const writes = new ExpectedWrites<{ port: number }>();
    writes.expect('a/x', (o) => o.port === 8080);
    return writes;
  };

  it('recognizes the watch event of our own write once', () => {
    const writes = expectations();
    expect(writes.isExpected('a/x', { port: 8080 })).toBe(true);
    expect(writes.isExpected('a/x', { port: 8080 })).toBe(false);
  });

  it('passes on anybody else’s change and keeps waiting for ours', () => {
    const writes = expectations();
    expect(writes.isExpected('a/x', { port: 9090 })).toBe(false);
    expect(writes.isExpected('a/y', { port: 8080 })).toBe(false);
    expect(writes.isExpected('a/x', { port: 8080 })).toBe(true);
  });

  it('expects nothing after a failed write or a deletion', () => {
    const writes = expectations();
    writes.forget('a/x');
    expect(writes.isExpected('a/x', { port: 8080 })).toBe(false);
  });

  it('follows the latest write of a key', () => {
    const writes = expectations();
    writes.expect('a/x', (o) => o.port === 9090);
    expect(writes.isExpected('a/x', { port: 8080 })).toBe(false);
    expect(writes.isExpected('a/x', { port: 9090 })).toBe(true);
  });
});
