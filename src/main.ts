// `gatehouse serve`: config → database → migrate → listen, then periodic housekeeping,
// and a graceful stop on SIGTERM/SIGINT (stop accepting, finish in-flight requests, close the pool).
import { buildApp } from './app.js';
import { bootstrap } from './bootstrap.js';
import { countUsers } from './modules/users/index.js';
import { pruneAuditEvents } from './modules/audit/index.js';
import type { Services } from './services.js';
import { checkClockAtStartup } from './modules/clock-health/index.js';
import { pruneSentMessages } from './modules/mail/index.js';

const HOUSEKEEPING_INTERVAL_MS = 10 * 60_000;

async function housekeeping(s: Services): Promise<void> {
  const now = s.clock();
  await s.sessions.deleteExpired();
  await s.limiter.prune();
  await s.devices.deleteExpired();
  await s.oidc.prune();
  await pruneAuditEvents(s.db, now - s.config.auditRetentionDays * 86_400_000);
  await s.resets.prune();
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

  if ((await countUsers(s.db)) === 0) {
    // Printed to the terminal as is (not as JSON), so the operator can copy it.
    process.stdout.write(
      [
        '',
        'Gatehouse has no users yet. Create the first administrator with:',
        '',
        "  printf '%s' 'a-long-unique-password' | npx gatehouse user create --email you@example.com --role admin --password-stdin",
        '',
        ...(s.mail.smtpConfigured
          ? []
          : [
              `No mail server is configured (GATEHOUSE_SMTP_URL): password-reset links and security notices`,
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
