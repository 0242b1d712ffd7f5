// The OpenID Connect figures' two sides, set up the same way: a confidential application (client
// secret, PKCE) and browsers that each went through the interaction once (a person signed in and
// consented), at Gatehouse and at the bare oidc-provider (bare-oidc.mjs). After that, every
// authorization request with a browser's cookies is answered by a code at once: that is how
// oidc-driver.ts mints its pools. Many people rather than one: a grant (one per person and
// application) holding every code and token of the benchmark would be no one's real grant. The
// redirect address is never called (the driver reads the code from the redirect).
import { createHash, randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../src/config.js';
import { openDatabase } from '../../src/db/database.js';
import { createServices } from '../../src/services.js';
import { CookieBrowser } from '../../src/test-support/cookie-browser.js';
import { driveInteraction } from '../../src/test-support/oidc-interaction.js';
import type { ExchangeInput, ExchangeOutput } from './oidc-driver.js';
import { runDriver, startBareOidc, type BenchServer } from './processes.js';

const DRIVER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'oidc-driver.ts');
const REDIRECT_URI = 'http://127.0.0.1:9/bench/callback';
const isCallback = (url: string) => url.startsWith(REDIRECT_URI);

export interface OidcSide {
  /** The process that answers (to pin). */
  pid: number;
  authorizeUrl: string;
  /** Each browser's cookies, sent with its authorization requests. */
  cookies: string[];
  tokenUrl: string;
  userinfoUrl: string;
  client: { id: string; secret: string };
  verifier: string;
  stop(): Promise<void>;
}

function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

function authorizeUrl(endpoint: string, clientId: string, challenge: string): string {
  const query = new URLSearchParams({
    client_id: clientId,
    response_type: 'code',
    scope: 'openid email profile',
    redirect_uri: REDIRECT_URI,
    code_challenge: challenge,
    code_challenge_method: 'S256',
  });
  return `${endpoint}?${query}`;
}

/** The cookies the provider needs to recognise the browser (each must be there). */
function cookieHeader(browser: CookieBrowser, names: string[]): string {
  return names
    .map((name) => {
      const value = browser.cookie(name);
      if (value === undefined) throw new Error(`oidc bench: no ${name} cookie after the interaction`);
      return `${name}=${value}`;
    })
    .join('; ');
}

/** An application as an administrator would create it (ClientsService, straight on the database). */
async function createApplication(databaseUrl: string, masterKey: Buffer): Promise<{ id: string; secret: string }> {
  const config = loadConfig({ GATEHOUSE_DATABASE_URL: databaseUrl, GATEHOUSE_ENCRYPTION_KEY: masterKey.toString('base64') });
  const database = openDatabase(databaseUrl);
  try {
    const s = await createServices(config, database, { masterKey });
    const created = await s.clients.create({ name: 'Bench', redirectUris: [REDIRECT_URI] }, null, null);
    return { id: created.client_id, secret: created.client_secret! };
  } finally {
    await database.close();
  }
}

/** `work` over `items`, a few at a time; answers the results in order. */
async function eachOf<T, R>(items: T[], work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < items.length) {
        const i = next++;
        results[i] = await work(items[i]!);
      }
    }),
  );
  return results;
}

/** Gatehouse's side: `server` on `databaseUrl`, each person (no second factor) signed in with `password` in a browser of their own. */
export async function gatehouseOidc(
  server: BenchServer,
  databaseUrl: string,
  masterKey: Buffer,
  people: Array<{ email: string; password: string }>,
): Promise<OidcSide> {
  const client = await createApplication(databaseUrl, masterKey);
  const { verifier, challenge } = pkce();
  const url = authorizeUrl(`${server.url}/oidc/auth`, client.id, challenge);
  const cookies = await eachOf(people, async (person) => {
    const browser = new CookieBrowser();
    const signedIn = await browser.post(`${server.url}/api/session`, person);
    if (signedIn.body?.status !== 'authenticated') throw new Error(`oidc bench: sign-in answered ${signedIn.status} ${JSON.stringify(signedIn.body)}`);
    const run = await driveInteraction(browser, url, { email: person.email }, { base: () => server.url, isCallback });
    if (!run.callback) throw new Error(`oidc bench: Gatehouse's interaction did not reach the callback (${run.steps.join(', ')})`);
    return cookieHeader(browser, ['gatehouse_session', 'gatehouse_oidc', 'gatehouse_oidc.sig']);
  });
  return {
    pid: server.pid,
    authorizeUrl: url,
    cookies,
    tokenUrl: `${server.url}/oidc/token`,
    userinfoUrl: `${server.url}/oidc/me`,
    client,
    verifier,
    stop: async () => undefined,
  };
}

/** The bare oidc-provider's side, in a process of its own, with `browsers` people. */
export async function bareOidc(browsers: number): Promise<OidcSide> {
  const client = { id: `bench-${randomBytes(8).toString('hex')}`, secret: randomBytes(32).toString('base64url') };
  const server = await startBareOidc({ ...client, redirectUri: REDIRECT_URI });
  const { verifier, challenge } = pkce();
  const url = authorizeUrl(`${server.url}/auth`, client.id, challenge);
  const cookies = await eachOf(Array.from({ length: browsers }), async () => {
    const browser = new CookieBrowser();
    const answer = await browser.follow(url, isCallback);
    if (!answer.location || !isCallback(answer.location))
      throw new Error(`oidc bench: the bare provider did not reach the callback: ${answer.status} ${JSON.stringify(answer.body)}`);
    return cookieHeader(browser, ['_session', '_session.sig']);
  });
  return {
    pid: server.pid,
    authorizeUrl: url,
    cookies,
    tokenUrl: `${server.url}/token`,
    userinfoUrl: `${server.url}/me`,
    client,
    verifier,
    stop: () => server.stop(),
  };
}

/** Mints `codes` codes at `side`, then redeems them all `concurrency` at a time (the driver on `cpus`). */
export function exchangeCodes(side: OidcSide, options: { codes: number; concurrency: number; keepTokens: number; cpus?: string }): Promise<ExchangeOutput> {
  const input: ExchangeInput = {
    authorizeUrl: side.authorizeUrl,
    cookies: side.cookies,
    tokenUrl: side.tokenUrl,
    client: side.client,
    redirectUri: REDIRECT_URI,
    verifier: side.verifier,
    codes: options.codes,
    concurrency: options.concurrency,
    keepTokens: options.keepTokens,
  };
  return runDriver<ExchangeOutput>(DRIVER, input, options.cpus);
}
