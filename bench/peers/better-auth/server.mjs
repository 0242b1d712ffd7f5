// Better Auth as a peer for the benchmark: email and password with the same Argon2id hasher as
// Gatehouse (through its password hooks), the twoFactor plugin, better-sqlite3 12 in WAL mode,
// its rate limiter off (as Gatehouse's throttle is off in the benchmark).
// argv: port, database file. Prints "listening" when ready.
import http from 'node:http';
import Database from 'better-sqlite3';
import { betterAuth } from 'better-auth';
import { twoFactor } from 'better-auth/plugins';
import { getMigrations } from 'better-auth/db/migration';
import { toNodeHandler } from 'better-auth/node';
import { Algorithm, hash, verify } from '@node-rs/argon2';

const params = { algorithm: Algorithm.Argon2id, memoryCost: 19456, timeCost: 2, parallelism: 1 };
const port = Number(process.argv[2]);
const db = new Database(process.argv[3]);
db.pragma('journal_mode = WAL');
db.pragma('busy_timeout = 5000');

const auth = betterAuth({
  database: db,
  baseURL: `http://127.0.0.1:${port}`,
  secret: 'benchmark-secret-benchmark-secret-0123456789',
  emailAndPassword: { enabled: true, password: { hash: (password) => hash(password, params), verify: ({ hash: phc, password }) => verify(phc, password) } },
  rateLimit: { enabled: false },
  plugins: [twoFactor({ issuer: 'Bench' })],
});
const { runMigrations } = await getMigrations(auth.options);
await runMigrations();
const server = http.createServer(toNodeHandler(auth)).listen(port, '127.0.0.1', () => process.stdout.write('listening\n'));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
