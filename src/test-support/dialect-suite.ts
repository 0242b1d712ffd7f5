// The per-dialect scaffold every database test shares, written once: one describe() per dialect
// (skipped by name, "SKIPPED PostgreSQL: …", unless GATEHOUSE_TEST_REQUIRE_ALL=1 makes a missing
// service fail), a fresh database for the suite, apps on it that read the suite's TestClock, the
// clock back at TEST_EPOCH before each test, and everything closed and dropped afterwards.
//
//   describeOnEachDialect('sign-in', { resetSettings: true }, (suite) => {
//     const t = suite.app();            // started before the first test, closed after the last
//     it('…', async () => { await seedUser(t.s, email); suite.clock.advance(30_000); … });
//   });
import { randomBytes } from 'node:crypto';
import { after, afterEach, before, beforeEach, describe } from 'node:test';
import type { AuthSettingsPatch } from '../modules/settings/index.js';
import { TestClock } from './clock.js';
import { DIALECTS, type DialectUnderTest, type TestDatabase } from './databases.js';
import { resetSettings, startTestApp, type TestApp, type TestAppOptions } from './harness.js';

/** An app's options inside a suite: the database, key and clock default to the suite's. */
export type SuiteAppOptions = Partial<TestAppOptions>;

export interface DialectSuiteOptions {
  /**
   * Before each test, the Authentication settings go back to the defaults (plus this patch, when
   * one is given) on every open app of the suite, so no test inherits another's settings.
   */
  resetSettings?: boolean | AuthSettingsPatch;
  /** The apps' clock, when not the suite's TestClock: `realClock` beside server processes and the CLI. */
  clock?: () => number;
  /** Another reason to skip every dialect (a missing browser), said by name like the dialect's own. */
  skip?: string;
}

export interface DialectSuite {
  readonly dialect: DialectUnderTest;
  /** The suite's clock: at TEST_EPOCH before each test, read by every app of the suite (unless options.clock). */
  readonly clock: TestClock;
  /** The key every app of the suite shares: apps on one database must. */
  readonly masterKey: Buffer;
  /** The suite's database, made before the first test and dropped after the last. */
  readonly database: TestDatabase;
  /**
   * Declares an app on the suite's database (call it in the suite's body, not in a test): it is
   * started before the first test and closed after the last. The object returned forwards to it,
   * so read its members inside tests and hooks, not when the suite is declared.
   */
  app(options?: SuiteAppOptions): TestApp;
  /**
   * An app started now on the suite's database, closed when what started it ends: the test (or
   * its beforeEach), or the suite when a before() hook started it (an app that needs something
   * the hook made first, such as an SMTP server's address). Closing it earlier is allowed.
   */
  startApp(options?: SuiteAppOptions): Promise<TestApp>;
  /** Another database of this dialect, dropped (after the apps started later) when what made it ends, as startApp. */
  createDatabase(): Promise<TestDatabase>;
  /** The Authentication settings back to the defaults plus `patch`, on every open app of the suite. */
  resetSettings(patch?: AuthSettingsPatch): Promise<void>;
}

type Title = string | ((dialect: DialectUnderTest) => string);
type Body = (suite: DialectSuite) => void;

/**
 * Runs `body` once per dialect, as `describe("<name> on <dialect>")` (or the title the function
 * gives), with the scaffold above. The suite's own before/after hooks run inside the scaffold's:
 * after the database and declared apps start, and before they close and the database is dropped.
 */
export function describeOnEachDialect(name: Title, body: Body): void;
export function describeOnEachDialect(name: Title, options: DialectSuiteOptions, body: Body): void;
export function describeOnEachDialect(name: Title, optionsOrBody: DialectSuiteOptions | Body, maybeBody?: Body): void {
  const options = typeof optionsOrBody === 'function' ? {} : optionsOrBody;
  const body = typeof optionsOrBody === 'function' ? optionsOrBody : maybeBody!;
  for (const dialect of DIALECTS) {
    const title = typeof name === 'function' ? name(dialect) : `${name} on ${dialect.name}`;
    describe(title, { skip: options.skip ?? dialect.skip }, () => declareSuite(dialect, options, body));
  }
}

function declareSuite(dialect: DialectUnderTest, options: DialectSuiteOptions, body: Body): void {
  const clock = new TestClock();
  const masterKey = randomBytes(32);
  let database: TestDatabase | undefined;
  const declared: Array<{ options: SuiteAppOptions; app?: TestApp }> = [];
  /** What the suite's before() hooks made, and what the running test made: undone when they end, last first. */
  const suiteCleanups: Array<() => Promise<void>> = [];
  let testCleanups: Array<() => Promise<void>> | null = null;
  const later = (cleanup: () => Promise<void>) => (testCleanups ?? suiteCleanups).push(cleanup);

  const started = (): TestDatabase => {
    if (!database) throw new Error(`the ${dialect.name} suite's database is used before the suite's before() made it`);
    return database;
  };
  const appOptions = (given: SuiteAppOptions): TestAppOptions => ({ masterKey, clock: options.clock ?? clock.read, ...given, url: given.url ?? started().url });
  /** The apps startApp made that are still open. */
  const extraApps = new Set<TestApp>();
  const apps = () => [...declared.map((d) => d.app).filter((app): app is TestApp => app !== undefined), ...extraApps];

  const suite: DialectSuite = {
    dialect,
    clock,
    masterKey,
    get database() {
      return started();
    },
    app(given = {}) {
      const entry: { options: SuiteAppOptions; app?: TestApp } = { options: given };
      declared.push(entry);
      const live = (): TestApp => {
        if (!entry.app) throw new Error('a suite app is used before the suite started it: read its members inside tests and hooks');
        return entry.app;
      };
      return {
        get app() {
          return live().app;
        },
        get s() {
          return live().s;
        },
        client: () => live().client(),
        close: () => live().close(),
      };
    },
    async startApp(given = {}) {
      const app = once(await startTestApp(appOptions(given)), () => extraApps.delete(app));
      extraApps.add(app);
      later(() => app.close());
      return app;
    },
    async createDatabase() {
      const extra = await dialect.create();
      later(() => extra.drop());
      return extra;
    },
    resetSettings: (patch = {}) => resetSettings(apps(), patch),
  };

  before(async () => {
    database = await dialect.create();
    for (const entry of declared) entry.app = once(await startTestApp(appOptions(entry.options)));
  });
  beforeEach(async () => {
    testCleanups = [];
    clock.reset();
    if (options.resetSettings) await suite.resetSettings(options.resetSettings === true ? {} : options.resetSettings);
  });

  body(suite);

  afterEach(async () => {
    const due = testCleanups ?? [];
    testCleanups = null;
    await undo(due);
  });
  after(async () => {
    await undo(suiteCleanups);
    for (const entry of [...declared].reverse()) await entry.app?.close();
    await database?.drop();
  });
}

/** Runs every cleanup, last first, even after one fails (a database is dropped although an app did not close). */
async function undo(cleanups: Array<() => Promise<void>>): Promise<void> {
  const failures: unknown[] = [];
  for (const cleanup of [...cleanups].reverse()) await cleanup().catch((error: unknown) => failures.push(error));
  cleanups.length = 0;
  if (failures.length > 0) throw failures[0];
}

/** The app with a close() that may be called again: a test may close early what the scaffold closes too. */
function once(app: TestApp, onClose: () => void = () => {}): TestApp {
  let closing: Promise<void> | undefined;
  return {
    ...app,
    client: () => app.client(),
    close: () => {
      onClose();
      closing ??= app.close();
      return closing;
    },
  };
}
