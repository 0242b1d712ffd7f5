// A test app whose mail goes to a real SMTP server (smtp-server on a loopback port), for the suites
// that read what was mailed: the server first, then the app pointed at it (polling its outbox every
// 20 ms). Stopped the other way round: the app first, so that its mail worker has stopped when the
// SMTP server goes.
import type { DialectSuite } from './dialect-suite.js';
import type { TestApp } from './harness.js';
import { startSmtp, type TestSmtp } from './smtp.js';

export interface MailingApp {
  smtp: TestSmtp;
  t: TestApp;
}

export async function startMailingApp(
  suite: Pick<DialectSuite, 'startApp'>,
  options: { publicUrl?: string; env?: Record<string, string> } = {},
): Promise<MailingApp> {
  const smtp = await startSmtp();
  const t = await suite.startApp({
    mailPollMs: 20,
    env: { GATEHOUSE_SMTP_URL: smtp.url, GATEHOUSE_PUBLIC_URL: options.publicUrl ?? 'http://login.example.com/', ...options.env },
  });
  return { smtp, t };
}

/** Safe after a failed start: whatever was started is stopped. */
export async function stopMailingApp(app: Partial<MailingApp>): Promise<void> {
  await app.t?.close();
  await app.smtp?.stop();
}
