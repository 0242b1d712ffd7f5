import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { createPasswordHasher, OWASP_ARGON2ID, parsePhcParams } from './password-hasher.js';
import { checkPassword } from './password-policy.js';
import { QueueFullError, WorkQueue } from './work-queue.js';

describe('password rules', () => {
  it('refuses short, over-long and very common passwords', () => {
    assert.equal(checkPassword('short'), 'too_short');
    assert.equal(checkPassword('x'.repeat(257)), 'too_long');
    for (const common of ['password123', 'qwertyuiop', '1234567890', 'iloveyou12']) assert.equal(checkPassword(common), 'too_common', common);
    assert.equal(checkPassword('correct-horse-battery-staple-42'), null);
  });
  it('refuses a password made of the account email', () => {
    assert.equal(checkPassword('ana.lopez@example.com', ['ana.lopez@example.com', 'ana.lopez']), 'too_common');
  });
});

describe('Argon2id hasher', () => {
  it('hashes with at least OWASP parameters, kept in the PHC string', async () => {
    const hasher = await createPasswordHasher({ concurrency: 2, queueLimit: 10 });
    const phc = await hasher.hash('correct-horse-battery-staple-42');
    assert.deepEqual(parsePhcParams(phc), OWASP_ARGON2ID);
    assert.equal(await hasher.verify(phc, 'correct-horse-battery-staple-42'), true);
    assert.equal(await hasher.verify(phc, 'wrong'), false);
    assert.equal(await hasher.verify('not a hash', 'x'), false);
    assert.equal(hasher.needsRehash(phc), false);
  });
  it('recognises a weaker hash as needing an upgrade', async () => {
    const weak = await createPasswordHasher({ params: { memoryCost: 4096, timeCost: 1, parallelism: 1 }, concurrency: 1, queueLimit: 1 });
    const strong = await createPasswordHasher({ concurrency: 1, queueLimit: 1 });
    assert.equal(strong.needsRehash(await weak.hash('correct-horse-battery-staple-42')), true);
  });
});

describe('hasher under a flood', () => {
  it('refuses past its queue bound with 503 unavailable instead of queueing without end', async () => {
    const hasher = await createPasswordHasher({ params: { memoryCost: 1024, timeCost: 1, parallelism: 1 }, concurrency: 1, queueLimit: 2 });
    const phc = await hasher.hash('correct-horse-battery-staple-42');
    const results = await Promise.allSettled(Array.from({ length: 6 }, () => hasher.verify(phc, 'correct-horse-battery-staple-42')));
    const refused = results.filter((r) => r.status === 'rejected');
    assert.ok(refused.length >= 2, `${refused.length} refused`);
    for (const r of refused) assert.equal(((r as PromiseRejectedResult).reason as { code: string; statusCode: number }).statusCode, 503);
    assert.ok(results.some((r) => r.status === 'fulfilled' && r.value === true));
  });
});

describe('work queue', () => {
  it('runs at most `concurrency` jobs and refuses past the queue limit', async () => {
    const queue = new WorkQueue(2, 3);
    let running = 0;
    let peak = 0;
    const job = async () => {
      running++;
      peak = Math.max(peak, running);
      await sleep(20);
      running--;
    };
    const accepted = Array.from({ length: 5 }, () => queue.run(job));
    await assert.rejects(queue.run(job), QueueFullError);
    await Promise.all(accepted);
    assert.equal(peak, 2);
    await queue.run(job); // the slots were all given back
  });
});
