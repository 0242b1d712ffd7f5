// A real SMTP server for tests: the `smtp-server` package (from the nodemailer project) on a
// loopback port, with authentication, and `mailparser` to read what arrived. Nothing here is
// Gatehouse's own code, so the mail the app sends is checked by parts it did not write.
import net from 'node:net';
import { SMTPServer } from 'smtp-server';
import { simpleParser } from 'mailparser';

export interface ReceivedMail {
  from: string;
  to: string[];
  subject: string;
  text: string;
  html: string;
  messageId: string;
  language: string | null;
}

export interface MailFilter {
  to?: string;
  subject?: string;
}

export function matching(mails: ReceivedMail[], filter: MailFilter = {}): ReceivedMail[] {
  return mails.filter((m) => (filter.to === undefined || m.to.includes(filter.to)) && (filter.subject === undefined || m.subject === filter.subject));
}

export const SMTP_USER = 'gatehouse';
export const SMTP_PASSWORD = 'smtp-secret-for-tests';

export interface TestSmtp {
  port: number;
  /** smtp://user:password@127.0.0.1:port */
  url: string;
  received: ReceivedMail[];
  /** Waits until `count` messages matching `filter` (recipient, subject) arrived; answers those. */
  waitFor(count: number, filter?: MailFilter, timeoutMs?: number): Promise<ReceivedMail[]>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** A free loopback port (for a server that starts later: the outbox must wait for it). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** An SMTP server on `port` (a free one by default), started unless `started: false`. */
/**
 * `beforeAccept`, when given, is awaited with each message before the server answers "250 OK": a
 * test holds a delivery there (the sender waits for the answer) to make something happen meanwhile.
 */
export async function startSmtp(options: { port?: number; started?: boolean; beforeAccept?: (mail: ReceivedMail) => Promise<void> } = {}): Promise<TestSmtp> {
  const port = options.port ?? (await freePort());
  const received: ReceivedMail[] = [];
  let server: SMTPServer | null = null;

  const make = () =>
    new SMTPServer({
      // Loopback without a certificate: no STARTTLS offered, so credentials go in the clear here.
      disabledCommands: ['STARTTLS'],
      allowInsecureAuth: true,
      authMethods: ['PLAIN', 'LOGIN'],
      logger: false,
      onAuth(auth, _session, callback) {
        if (auth.username === SMTP_USER && auth.password === SMTP_PASSWORD) return callback(null, { user: auth.username });
        return callback(new Error('Invalid username or password'));
      },
      onData(stream, session, callback) {
        simpleParser(stream)
          .then(async (mail) => {
            const parsed: ReceivedMail = {
              from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
              to: session.envelope.rcptTo.map((r) => r.address),
              subject: mail.subject ?? '',
              text: mail.text ?? '',
              html: typeof mail.html === 'string' ? mail.html : '',
              messageId: mail.messageId ?? '',
              language: /<html lang="([a-z]+)"/.exec(typeof mail.html === 'string' ? mail.html : '')?.[1] ?? null,
            };
            await options.beforeAccept?.(parsed);
            received.push(parsed);
            callback();
          })
          .catch((error: Error) => callback(error));
      },
    });

  const smtp: TestSmtp = {
    port,
    url: `smtp://${SMTP_USER}:${SMTP_PASSWORD}@127.0.0.1:${port}`,
    received,
    async start() {
      server = make();
      await new Promise<void>((resolve, reject) => {
        server!.once('error', reject);
        server!.listen(port, '127.0.0.1', () => resolve());
      });
    },
    async stop() {
      if (!server) return;
      const s = server;
      server = null;
      await new Promise<void>((resolve) => s.close(() => resolve()));
    },
    async waitFor(count, filter = {}, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = matching(received, filter);
        if (found.length >= count) return found;
        if (Date.now() > deadline) {
          const got = matching(received, { to: filter.to }).map((m) => m.subject);
          throw new Error(`waited ${timeoutMs} ms for ${count} message(s) ${JSON.stringify(filter)}; to that address: ${got.join(' | ')}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
  };
  if (options.started !== false) await smtp.start();
  return smtp;
}

/** The token of the reset link in a message's text. */
export function tokenOf(text: string): string {
  const link = /(http\S+\/(?:reset-password|invitation|setup|register|email-change|email-change\/undo)\?token=[A-Za-z0-9_%-]+)/.exec(text)?.[1];
  if (!link) throw new Error(`no reset, invitation, setup, registration or email change link in: ${text}`);
  return new URL(link).searchParams.get('token') ?? '';
}
