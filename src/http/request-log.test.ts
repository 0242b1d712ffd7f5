import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import Fastify, { LogController } from 'fastify';
import { Counter, Registry } from 'prom-client';
import { HOT_SAMPLE, RequestTally, lazyChildLogger, registerRequestAccounting } from './request-log.js';

async function appWithLog(level = 'info') {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const app = Fastify({ logger: { level, stream }, logController: new LogController({ disableRequestLogging: true }), childLoggerFactory: lazyChildLogger });
  const tally = new RequestTally();
  const counter = new Counter({
    name: 'requests_total',
    help: 'requests',
    labelNames: ['method', 'route', 'status'],
    registers: [new Registry()],
    collect() {
      tally.drainInto(this);
    },
  });
  const accounting = registerRequestAccounting(app, { tally, hotRoutes: ['GET /hot'] });
  app.setNotFoundHandler((request, reply) => {
    void reply.code(404).send({ error: 'not_found' });
    accounting.recordUnmatched(request, reply);
  });
  app.get('/hot', async (request, reply) => ((request.query as { fail?: string }).fail ? reply.code(500).send({}) : { ok: true }));
  app.post('/sign-in', async (request) => {
    request.log.warn('something to say');
    return { ok: true };
  });
  await app.ready();
  const requestLines = () => lines.filter((l) => l.msg === 'request');
  return { app, lines, requestLines, counter };
}

describe('request log', () => {
  it('writes one line per request with method, route, status and time, and no header or body', async () => {
    const { app, requestLines, lines } = await appWithLog();
    await app.inject({ method: 'POST', url: '/sign-in', headers: { cookie: 'gatehouse_session=secret-token' }, payload: { password: 'hunter2' } });
    const [line] = requestLines();
    assert.equal(requestLines().length, 1);
    assert.deepEqual({ method: line!.method, route: line!.route, status: line!.status }, { method: 'POST', route: '/sign-in', status: 200 });
    assert.equal(typeof line!.ms, 'number');
    const all = JSON.stringify(lines);
    assert.ok(!all.includes('secret-token') && !all.includes('hunter2'), all);
    // A handler's own line still comes out, with the request id it belongs to.
    const warning = lines.find((l) => l.msg === 'something to say');
    assert.ok(warning && typeof warning.reqId === 'string');
  });

  it('samples the ordinary answers of a hot route, and logs its errors every time', async () => {
    const { app, requestLines } = await appWithLog();
    for (let i = 0; i < HOT_SAMPLE * 2 + 5; i++) await app.inject({ method: 'GET', url: '/hot' });
    assert.equal(requestLines().length, 2);
    assert.ok(requestLines().every((l) => l.sampled === HOT_SAMPLE));
    await app.inject({ method: 'GET', url: '/hot?fail=1' });
    await app.inject({ method: 'GET', url: '/hot?fail=1' });
    assert.equal(requestLines().filter((l) => l.status === 500).length, 2);
  });

  it('counts every answer by route and status, those no route matched too', async () => {
    const { app, counter } = await appWithLog('warn');
    for (let i = 0; i < 3; i++) await app.inject({ method: 'GET', url: '/hot' });
    await app.inject({ method: 'GET', url: '/nowhere' });
    const values = async () => (await counter.get()).values.map((v) => `${v.labels.method} ${v.labels.route} ${v.labels.status} ${v.value}`).sort();
    assert.deepEqual(await values(), ['GET /hot 200 3', 'GET unmatched 404 1']);
    // Counted once: a second scrape after two more answers adds those two.
    await app.inject({ method: 'GET', url: '/hot' });
    await app.inject({ method: 'HEAD', url: '/hot' });
    assert.deepEqual(await values(), ['GET /hot 200 4', 'GET unmatched 404 1', 'HEAD /hot 200 1']);
  });

  it('writes nothing below its level', async () => {
    const { app, lines } = await appWithLog('warn');
    await app.inject({ method: 'GET', url: '/nowhere' });
    for (let i = 0; i < HOT_SAMPLE; i++) await app.inject({ method: 'GET', url: '/hot' });
    assert.equal(lines.filter((l) => l.msg === 'request').length, 0);
  });
});
