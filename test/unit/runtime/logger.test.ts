import { describe, expect, it } from '@jest/globals';
import { ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { Writable } from 'node:stream';
import { createLogger, traceFields } from '../../../src/runtime/logger.js';

/** A logger writing into an array of parsed lines. */
function capture(level = 'info') {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  return { log: createLogger(level, sink), lines };
}

const SPAN = { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', traceFlags: 1 };

describe('createLogger', () => {
  it('writes the level as a name and the severity Cloud Logging reads', () => {
    const { log, lines } = capture('trace');
    log.trace('t');
    log.debug('d');
    log.info('i');
    log.warn('w');
    log.error('e');
    log.fatal('f');
    expect(lines.map((l) => [l.level, l.severity])).toEqual([
      ['trace', 'DEBUG'],
      ['debug', 'DEBUG'],
      ['info', 'INFO'],
      ['warn', 'WARNING'],
      ['error', 'ERROR'],
      ['fatal', 'CRITICAL'],
    ]);
    expect(lines[2]).toMatchObject({ app: 'appnetpol', msg: 'i', time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) });
  });

  it('logs an error with its type, message and stack', () => {
    const { log, lines } = capture();
    class ApplyError extends Error {}
    log.error({ err: new ApplyError('writing failed'), reason: 'Conflict' }, 'reconcile failed');
    expect(lines[0]).toMatchObject({ reason: 'Conflict', err: { type: 'ApplyError', message: 'writing failed', stack: expect.stringContaining('\n    at ') } });
  });

  it('adds no trace fields while no span is current', () => {
    const { log, lines } = capture();
    log.info('outside');
    expect(Object.keys(lines[0])).not.toContain('trace_id');
  });
});

describe('traceFields', () => {
  const active = trace.setSpan(ROOT_CONTEXT, trace.wrapSpanContext(SPAN));

  it('names the current span', () => {
    expect(traceFields(active, undefined)).toEqual({ trace_id: SPAN.traceId, span_id: SPAN.spanId });
  });

  it("adds Cloud Logging's trace keys when the project is known", () => {
    expect(traceFields(active, 'my-project')).toEqual({
      trace_id: SPAN.traceId,
      span_id: SPAN.spanId,
      'logging.googleapis.com/trace': `projects/my-project/traces/${SPAN.traceId}`,
      'logging.googleapis.com/spanId': SPAN.spanId,
    });
  });

  it('is empty for no span or an invalid one', () => {
    expect(traceFields(ROOT_CONTEXT, 'p')).toEqual({});
    expect(traceFields(trace.setSpan(ROOT_CONTEXT, trace.wrapSpanContext({ ...SPAN, traceId: '0'.repeat(32) })), 'p')).toEqual({});
  });
});
