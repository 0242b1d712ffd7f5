// The 2FA flow load, in its own process (`node --import tsx bench/lib/flow-driver.ts IN OUT`), so
// it does not share an event loop with the benchmark and its CPU can be reported: each flow is a
// password step and then a fresh code from the independent authenticator (test-support), for
// Gatehouse or for Better Auth. A user is never used twice within one TOTP step: that would be a
// replay, which both servers rightly refuse, and a failure of the benchmark's own making. When
// every user has signed in during the current step, a worker waits for the next one (counted).
import fs from 'node:fs';
import http from 'node:http';
import { phoneCode } from '../../src/test-support/authenticator.js';

export interface FlowUser {
  email: string;
  secret: string;
  /** A returning browser's cookie (Gatehouse's trusted device), sent with both steps. */
  cookie?: string;
}

export interface FlowInput {
  base: string;
  peer: 'gatehouse' | 'better-auth';
  password: string;
  users: FlowUser[];
  concurrency: number;
  seconds: number;
  /** The TOTP step each user last signed in (carried from run to run). */
  lastStep: Record<string, number>;
}

export interface FlowOutput {
  completed: number;
  failed: number;
  /** Why flows failed, "step status error" → count. */
  reasons: Record<string, number>;
  perSecond: number;
  /** CPU seconds this driver used ÷ wall seconds. */
  generatorCores: number;
  /** Times a worker found no user free in the current TOTP step. */
  waitedForStep: number;
  lastStep: Record<string, number>;
}

const STEP_MS = 30_000;

// node:http with keep-alive rather than fetch: several times less CPU per request, and the
// driver shares the cores with the server it measures.
const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

function post(url: string, body: unknown, headers: Record<string, string>): Promise<{ status: number; cookies: string[]; body: any }> {
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const request = http.request(
      url,
      { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), ...headers } },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          let parsed: any = null;
          try {
            parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'));
          } catch {}
          const cookies = (response.headers['set-cookie'] ?? []).map((c) => c.split(';')[0]!).filter((c) => !c.endsWith('='));
          resolve({ status: response.statusCode ?? 0, cookies, body: parsed });
        });
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end(payload);
  });
}

/** One flow; answers null when it completed, or why it did not. */
async function flow(input: FlowInput, user: FlowUser): Promise<string | null> {
  const cookie: Record<string, string> = user.cookie ? { cookie: user.cookie } : {};
  if (input.peer === 'gatehouse') {
    const first = await post(`${input.base}/api/session`, { email: user.email, password: input.password }, cookie);
    if (first.body?.status !== 'second_factor_required') return `password ${first.status} ${first.body?.error ?? first.body?.status}`;
    const pending = [...first.cookies.filter((c) => c.startsWith('gatehouse_session=')), ...(user.cookie ? [user.cookie] : [])].join('; ');
    const second = await post(`${input.base}/api/session/second-factor`, { code: phoneCode(user.secret, Date.now()) }, { cookie: pending });
    return second.status === 200 ? null : `code ${second.status} ${second.body?.error}`;
  }
  const origin = { origin: input.base };
  const first = await post(`${input.base}/api/auth/sign-in/email`, { email: user.email, password: input.password }, origin);
  if (!first.body?.twoFactorRedirect) return `password ${first.status} ${first.body?.code ?? ''}`;
  const second = await post(
    `${input.base}/api/auth/two-factor/verify-totp`,
    { code: phoneCode(user.secret, Date.now()) },
    { ...origin, cookie: first.cookies.join('; ') },
  );
  return second.status === 200 ? null : `code ${second.status} ${second.body?.code ?? ''}`;
}

export async function runFlows(input: FlowInput): Promise<FlowOutput> {
  const lastStep = { ...input.lastStep };
  const reasons: Record<string, number> = {};
  let completed = 0;
  let failed = 0;
  let waitedForStep = 0;
  let next = 0;
  const cpu0 = process.cpuUsage();
  const started = Date.now();
  const deadline = started + input.seconds * 1000;
  /**
   * The next user free to sign in now: their last code's step is before the current one. A flow's
   * code is made up to a few seconds after this choice (under load), so the step recorded is the
   * one 5 s from now: the user is not chosen again until a code of theirs cannot repeat it.
   */
  const take = (): FlowUser | null => {
    const now = Date.now();
    const earliest = Math.floor(now / STEP_MS);
    for (let tried = 0; tried < input.users.length; tried++) {
      const user = input.users[next++ % input.users.length]!;
      if ((lastStep[user.email] ?? -1) < earliest) {
        lastStep[user.email] = Math.floor((now + 5000) / STEP_MS);
        return user;
      }
    }
    return null;
  };
  await Promise.all(
    Array.from({ length: input.concurrency }, async () => {
      while (Date.now() < deadline) {
        const user = take();
        if (user === null) {
          waitedForStep++;
          await new Promise((resolve) => setTimeout(resolve, 100));
          continue;
        }
        const reason = await flow(input, user).catch((error: unknown) => `error ${(error as Error).message}`);
        if (reason === null) completed++;
        else {
          failed++;
          reasons[reason] = (reasons[reason] ?? 0) + 1;
        }
      }
    }),
  );
  const seconds = (Date.now() - started) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return { completed, failed, reasons, perSecond: completed / seconds, generatorCores: (cpu.user + cpu.system) / 1e6 / seconds, waitedForStep, lastStep };
}

if (process.argv[1]?.endsWith('flow-driver.ts')) {
  const [inFile, outFile] = process.argv.slice(2);
  const input = JSON.parse(fs.readFileSync(inFile!, 'utf8')) as FlowInput;
  fs.writeFileSync(outFile!, JSON.stringify(await runFlows(input)));
  agent.destroy();
}
