// The request logger fastify gets from lazyRequestLogger: what it writes must be what a pino child
// bound to the request id writes, at the route's level, although the child is built only on first use.
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { lazyRequestLogger } from '../../src/api/plugins/request-logger.js';

function collectingLogger(level: string) {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { logger: pino({ level }, stream), lines };
}

describe('lazyRequestLogger', () => {
  it('writes what the bound child writes, only at enabled levels, honouring a route level', async () => {
    const { logger, lines } = collectingLogger('info');
    const request = lazyRequestLogger(logger, { reqId: 'req-1' }, {});
    expect(request.level).toBe('info');
    request.debug('hidden');
    request.info({ route: '/x' }, 'shown %s', 'once');
    request.child({ jobId: 'j' }).warn('from a child');

    const quiet = lazyRequestLogger(logger, { reqId: 'req-2' }, { level: 'warn' });
    expect(quiet.level).toBe('warn');
    quiet.info('hidden by the route level');
    quiet.error(new Error('boom'), 'failed');
    const silent = lazyRequestLogger(logger, { reqId: 'req-3' }, { level: 'silent' });
    silent.fatal('never');
    await new Promise((r) => setImmediate(r));

    expect(lines.map(({ reqId, msg, route, jobId }) => ({ reqId, msg, route, jobId }))).toEqual([
      { reqId: 'req-1', msg: 'shown once', route: '/x', jobId: undefined },
      { reqId: 'req-1', msg: 'from a child', route: undefined, jobId: 'j' },
      { reqId: 'req-2', msg: 'failed', route: undefined, jobId: undefined },
    ]);
    expect(lines[2]!.err).toMatchObject({ message: 'boom' });
  });
});
