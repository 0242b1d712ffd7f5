// The physical limit: Argon2id verifications per second with Gatehouse's parameters and
// concurrency, nothing else running. argv: concurrency, milliseconds.
import { Algorithm, hash, verify } from '@node-rs/argon2';

const [concurrency, ms] = process.argv.slice(2).map(Number);
const params = { algorithm: Algorithm.Argon2id, memoryCost: 19456, timeCost: 2, parallelism: 1 };
const phc = await hash('correct-horse-battery-staple-42', params);
let done = 0;
const deadline = Date.now() + ms;
const started = Date.now();
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    while (Date.now() < deadline) {
      await verify(phc, 'correct-horse-battery-staple-42');
      done++;
    }
  }),
);
process.stdout.write(JSON.stringify({ perSecond: (done * 1000) / (Date.now() - started) }) + '\n');
