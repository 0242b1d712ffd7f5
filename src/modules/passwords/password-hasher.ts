// Argon2id password hashing, off the event loop (@node-rs/argon2 runs in libuv's thread pool),
// behind a bounded queue. Parameters follow OWASP's Password Storage Cheat Sheet minimum
// for Argon2id: m=19456 KiB, t=2, p=1; they are kept in the PHC string, so a hash made with
// weaker ones is recognised and upgraded at the next successful sign-in.
import { Algorithm, hash, verify } from '@node-rs/argon2';
import { AppError } from '../../http/errors.js';
import { QueueFullError, WorkQueue } from './work-queue.js';

export interface Argon2Params {
  readonly memoryCost: number;
  readonly timeCost: number;
  readonly parallelism: number;
}

export const OWASP_ARGON2ID: Argon2Params = Object.freeze({ memoryCost: 19456, timeCost: 2, parallelism: 1 });

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(phc: string, password: string): Promise<boolean>;
  /** Verifies against a fixed hash, so an unknown email costs the same time as a wrong password. */
  verifyDummy(password: string): Promise<void>;
  needsRehash(phc: string): boolean;
  readonly queue: WorkQueue;
}

export function parsePhcParams(phc: string): Argon2Params | null {
  const match = /^\$argon2id\$v=\d+\$m=(\d+),t=(\d+),p=(\d+)\$/.exec(phc);
  if (!match) return null;
  return { memoryCost: Number(match[1]), timeCost: Number(match[2]), parallelism: Number(match[3]) };
}

export async function createPasswordHasher(options: {
  params?: Argon2Params;
  concurrency: number;
  queueLimit: number;
  observe?: (seconds: number) => void;
}): Promise<PasswordHasher> {
  const params = options.params ?? OWASP_ARGON2ID;
  const queue = new WorkQueue(options.concurrency, options.queueLimit);
  const timed = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await queue.run(async () => {
        const started = process.hrtime.bigint();
        try {
          return await work();
        } finally {
          options.observe?.(Number(process.hrtime.bigint() - started) / 1e9);
        }
      });
    } catch (error) {
      // A flood past the queue's bound: refuse at once (503 with Retry-After) rather than queue without end.
      if (error instanceof QueueFullError) throw new AppError('unavailable', 'Too many sign-ins at once. Try again in a moment.', {}, { 'retry-after': '1' });
      throw error;
    }
  };
  const argonOptions = { algorithm: Algorithm.Argon2id, ...params };
  const dummyHash = await hash('gatehouse dummy password for unknown accounts', argonOptions);

  return {
    queue,
    hash: (password) => timed(() => hash(password, argonOptions)),
    verify: (phc, password) =>
      timed(async () => {
        try {
          return await verify(phc, password);
        } catch {
          return false; // a malformed stored hash never verifies
        }
      }),
    verifyDummy: async (password) => {
      await timed(() => verify(dummyHash, password));
    },
    needsRehash: (phc) => {
      const stored = parsePhcParams(phc);
      return stored === null || stored.memoryCost < params.memoryCost || stored.timeCost < params.timeCost || stored.parallelism < params.parallelism;
    },
  };
}
