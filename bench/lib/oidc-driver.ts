// The OpenID Connect code-exchange load, in its own process (processes.ts runDriver), for
// Gatehouse or the bare oidc-provider alike. Codes are single-use and live 60 s, so each run first
// mints its own pool (untimed: authorization requests with the cookies of a browser that already
// went through the interaction, browser after browser, each answered by a redirect carrying a code), then redeems every
// code at the token endpoint as a confidential client (client_secret_basic, the PKCE verifier)
// with a fixed number of requests in flight, timed. Answers some of the access tokens it got: the
// pool for the userinfo figure.
import fs from 'node:fs';
import http from 'node:http';

export interface ExchangeInput {
  /** An authorization request (code flow, PKCE S256 challenge of `verifier`). */
  authorizeUrl: string;
  /** The cookies of each browser at that provider (codes are minted for each in turn). */
  cookies: string[];
  tokenUrl: string;
  client: { id: string; secret: string };
  redirectUri: string;
  verifier: string;
  codes: number;
  concurrency: number;
  /** How many of the access tokens to answer. */
  keepTokens: number;
}

export interface ExchangeOutput {
  minted: number;
  mintPerSecond: number;
  completed: number;
  failed: number;
  /** Why requests failed, "step status error" → count. */
  reasons: Record<string, number>;
  /** Code exchanges per second, from the first to the last. */
  perSecond: number;
  /** CPU seconds this driver used while exchanging ÷ wall seconds. */
  generatorCores: number;
  accessTokens: string[];
}

// node:http with keep-alive rather than fetch: several times less CPU per request (as flow-driver.ts).
const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

function request(url: string, options: { method: 'GET' | 'POST'; headers: Record<string, string>; body?: string }) {
  return new Promise<{ status: number; location?: string; body: string }>((resolve, reject) => {
    const req = http.request(url, { method: options.method, agent, headers: options.headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, location: response.headers.location, body: Buffer.concat(chunks).toString('utf8') }),
      );
      response.on('error', reject);
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

/** `count` tasks, `concurrency` at a time; answers the wall time in seconds. */
async function inParallel(count: number, concurrency: number, task: (i: number) => Promise<void>): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) await task(next++);
    }),
  );
  return (performance.now() - started) / 1000;
}

export async function runExchanges(input: ExchangeInput): Promise<ExchangeOutput> {
  const reasons: Record<string, number> = {};
  const fail = (reason: string) => {
    reasons[reason] = (reasons[reason] ?? 0) + 1;
  };
  const codes: string[] = [];
  const mintSeconds = await inParallel(input.codes, input.concurrency, async (i) => {
    const cookie = input.cookies[i % input.cookies.length]!;
    const answer = await request(input.authorizeUrl, { method: 'GET', headers: { cookie } }).catch((error: unknown) => ({
      status: 0,
      location: undefined,
      body: (error as Error).message,
    }));
    const code = answer.location?.startsWith(input.redirectUri) ? new URL(answer.location).searchParams.get('code') : null;
    if (code) codes.push(code);
    else fail(`authorize ${answer.status} ${answer.location ?? answer.body.slice(0, 80)}`);
  });
  const basic = `Basic ${Buffer.from(`${encodeURIComponent(input.client.id)}:${encodeURIComponent(input.client.secret)}`).toString('base64')}`;
  const accessTokens: string[] = [];
  let completed = 0;
  const cpu0 = process.cpuUsage();
  const exchangeSeconds = await inParallel(codes.length, input.concurrency, async (i) => {
    const body = new URLSearchParams({
      grant_type: 'authorization_code',
      code: codes[i]!,
      redirect_uri: input.redirectUri,
      code_verifier: input.verifier,
    }).toString();
    const headers = { authorization: basic, 'content-type': 'application/x-www-form-urlencoded', 'content-length': String(Buffer.byteLength(body)) };
    const answer = await request(input.tokenUrl, { method: 'POST', headers, body }).catch((error: unknown) => ({ status: 0, body: (error as Error).message }));
    let token: string | undefined;
    try {
      token = (JSON.parse(answer.body) as { access_token?: string }).access_token;
    } catch {}
    if (answer.status === 200 && token) {
      completed++;
      if (accessTokens.length < input.keepTokens) accessTokens.push(token);
    } else fail(`token ${answer.status} ${answer.body.slice(0, 80)}`);
  });
  const cpu = process.cpuUsage(cpu0);
  return {
    minted: codes.length,
    mintPerSecond: codes.length / mintSeconds,
    completed,
    failed: input.codes - completed,
    reasons,
    perSecond: completed / exchangeSeconds,
    generatorCores: (cpu.user + cpu.system) / 1e6 / exchangeSeconds,
    accessTokens,
  };
}

if (process.argv[1]?.endsWith('oidc-driver.ts')) {
  const [inFile, outFile] = process.argv.slice(2);
  const input = JSON.parse(fs.readFileSync(inFile!, 'utf8')) as ExchangeInput;
  fs.writeFileSync(outFile!, JSON.stringify(await runExchanges(input)));
  agent.destroy();
}
