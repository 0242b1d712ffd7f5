// `gatehouse serve`: config → database → migrate → listen, then periodic housekeeping,
// and a graceful stop on SIGTERM/SIGINT (stop accepting, finish in-flight requests, close the pool).
import { buildApp } from './app.js';
import { bootstrap } from './bootstrap.js';
import { pruneAuditEvents } from './modules/audit/index.js';
import type { Services } from './services.js';
import { checkClockAtStartup } from './modules/clock-health/index.js';
import { pruneSentMessages } from './modules/mail/index.js';
import { pruneEmailChanges } from './modules/email-change/index.js';
import { upstreamServices } from './modules/upstream/index.js';

const HOUSEKEEPING_INTERVAL_MS = 10 * 60_000;

async function housekeeping(s: Services): Promise<void> {
  const now = s.clock();
  await s.sessions.deleteExpired();
  await s.limiter.prune();
  await s.devices.deleteExpired();
  await s.oidc.prune();
  await pruneAuditEvents(s.db, now - s.config.auditRetentionDays * 86_400_000);
  await s.resets.prune();
  await s.setup.prune();
  await s.invitations.prune();
  await s.registrations.prune();
  await pruneEmailChanges(s.db, now);
  // Upstream sign-in flows and link tickets that ended (the services are cheap to build: no I/O).
  await upstreamServices(s).upstream.prune();
  await pruneSentMessages(s.db, now - 30 * 86_400_000);
}

export async function serve(): Promise<void> {
  const startupLog: string[] = [];
  const s = await bootstrap({ log: (m) => startupLog.push(m), defaultMetrics: true });
  const app = await buildApp(s);
  for (const line of startupLog) app.log.info(line);
  await checkClockAtStartup(s, (m) => app.log.warn(m)).catch(async (error: unknown) => {
    await app.close();
    await s.database.close();
    throw error;
  });
  app.log.info(`Mail goes to ${s.mail.description}`);

  // No account yet: a one-time setup link (an hour, used once) creates the first administrator in
  // the browser. It goes to the terminal as is (so the operator can copy it) and to the log (where
  // a container's or systemd's operator reads it); only someone who sees either can claim the install.
  const setup = await s.setup.issueLink();
  if (setup) {
    const until = new Date(setup.expiresAt).toISOString();
    app.log.info({ setupLink: setup.link, validUntil: until }, 'Gatehouse has no users yet: open the setup link to create the first administrator');
    process.stdout.write(
      [
        '',
        'Gatehouse has no users yet. Open this link to create the first administrator',
        `(it works once, until ${until}; "gatehouse setup-link" prints a new one):`,
        '',
        `  ${setup.link}`,
        '',
        'Or on the command line:',
        "  printf '%s' 'a-long-unique-password' | npx gatehouse user create --email you@example.com --role admin --password-stdin",
        '',
        ...(s.mail.smtpConfigured
          ? []
          : [
              `No mail server is configured (GATEHOUSE_SMTP_URL): password-reset links, invitations and security notices`,
              `are written to ${s.mail.outboxDir}/, one .eml file per message.`,
              '',
            ]),
        '',
      ].join('\n'),
    );
  }

  const timer = setInterval(() => {
    housekeeping(s).catch((error: unknown) => app.log.warn({ err: error }, 'housekeeping failed'));
  }, HOUSEKEEPING_INTERVAL_MS);
  timer.unref();

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.log.info(`${signal}: stopping`);
    clearInterval(timer);
    try {
      await app.close(); // stops accepting, waits for in-flight requests
      await s.database.close();
      process.exit(0);
    } catch (error) {
      app.log.error({ err: error }, 'error while stopping');
      process.exit(1);
    }
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));

  await app.listen({ host: s.config.host, port: s.config.port });
  app.clockHealth.start(); // heartbeat timer, unref'd; app.close() stops it
  void housekeeping(s).catch(() => {});
}
