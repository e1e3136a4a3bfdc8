import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { describe, expect, it } from '@jest/globals';
import { AnswerBuffers } from '../../../src/cfapi/answer-buffers.js';

const response = () => new EventEmitter() as unknown as ServerResponse;

describe('AnswerBuffers', () => {
  it('lends a buffer to one response at a time, and again once that response has finished', () => {
    const buffers = new AnswerBuffers();
    const first = response();
    const lent = buffers.lend(1000, first);
    expect(lent.length).toBeGreaterThanOrEqual(1000);
    expect(buffers.lend(1000, response())).not.toBe(lent);
    first.emit('finish');
    expect(buffers.lend(900, response())).toBe(lent);
  });

  it('keeps a response that closed unfinished from giving its buffer back', () => {
    const buffers = new AnswerBuffers();
    const closed = response();
    const lent = buffers.lend(1000, closed);
    closed.emit('close');
    expect(buffers.lend(1000, response())).not.toBe(lent);
  });

  it('does not keep buffers for answers over 1 MiB', () => {
    const buffers = new AnswerBuffers();
    const large = response();
    const lent = buffers.lend(2 * 1024 * 1024, large);
    large.emit('finish');
    expect(buffers.lend(2 * 1024 * 1024, response())).not.toBe(lent);
  });
});
