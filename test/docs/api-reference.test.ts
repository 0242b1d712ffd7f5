// docs/api.md against the app it describes: the app is built in-process (SQLite) and its own
// route table, its OpenAPI document (GET /docs/json) and its OpenID Connect discovery document
// are compared with the page. A route the server registers and the OpenAPI document lists has
// one row in a reference table, with the access level the route declares; every route the page
// names is one the server answers; every protocol endpoint discovery announces has a row.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DIALECTS, type TestDatabase } from '../../src/test-support/databases.js';
import { startTestApp, type TestApp } from '../../src/test-support/harness.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const PAGE = path.join(ROOT, 'docs', 'api.md');
const METHODS = 'GET|POST|PUT|PATCH|DELETE|OPTIONS';

/** `METHOD /path` at the start of a code span; the path ends at a space, a backtick or a query. */
const MENTION = new RegExp(`\`(${METHODS}) (/[^\\s\`?]*)`, 'g');
/** A reference table's row: the call's cell starts with the route, the next cell is its access. */
const ROW = new RegExp(`^\\|\\s*\`(${METHODS}) (/[^\\s\`?]*)[^|]*\\|([^|]*)\\|`);

interface Row {
  route: string;
  access: string;
  line: number;
}

function readPage(): { rows: Row[]; mentions: Set<string> } {
  // Escaped pipes (`admin\|user`) are inside a cell, not between cells.
  const lines = fs.readFileSync(PAGE, 'utf8').split('\n');
  const rows: Row[] = [];
  const mentions = new Set<string>();
  lines.forEach((text, index) => {
    for (const match of text.matchAll(MENTION)) mentions.add(`${match[1]} ${match[2]}`);
    const row = ROW.exec(text.replace(/\\\|/g, '¦'));
    if (row) rows.push({ route: `${row[1]} ${row[2]}`, access: row[3]!.trim(), line: index + 1 });
  });
  return { rows, mentions };
}

/** OpenAPI writes /a/{id}, Fastify /a/:id. */
const fromOpenApi = (url: string) => url.replace(/\{([^}]+)\}/g, ':$1');

/** A registered pattern (with :params and a trailing *) as a test of a concrete path. */
function patternOf(url: string): RegExp {
  const body = url
    .split('/')
    .map((part) => (part === '*' ? '.*' : part.startsWith(':') ? '[^/]+' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('/');
  return new RegExp(`^${body}$`);
}

const sqlite = DIALECTS.find((d) => d.name === 'sqlite')!;

describe('docs/api.md describes every route the server registers, and only those', () => {
  let database: TestDatabase;
  let t: TestApp;
  let table: Map<string, string>;
  let documented: Set<string>;
  let discovered: Set<string>;
  const page = readPage();

  before(async () => {
    database = await sqlite.create();
    t = await startTestApp({ url: database.url });
    table = new Map(t.app.routeTable.map((r) => [`${r.method} ${r.url}`, r.stepUp ? `${r.access} + step-up` : r.access]));
    const openapi = await t.app.inject({ method: 'GET', url: '/docs/json' });
    assert.equal(openapi.statusCode, 200);
    const paths = openapi.json().paths as Record<string, Record<string, unknown>>;
    documented = new Set(Object.entries(paths).flatMap(([url, operations]) => Object.keys(operations).map((m) => `${m.toUpperCase()} ${fromOpenApi(url)}`)));
    const discovery = await t.app.inject({ method: 'GET', url: '/.well-known/openid-configuration' });
    assert.equal(discovery.statusCode, 200);
    const endpoints = Object.entries(discovery.json() as Record<string, unknown>)
      .filter(([key, value]) => (key.endsWith('_endpoint') || key === 'jwks_uri') && typeof value === 'string')
      .map(([, value]) => new URL(value as string).pathname);
    discovered = new Set(endpoints);
  });
  after(async () => {
    await t?.close();
    await database?.drop();
  });

  it('finds the routes: the tables, the route table, the OpenAPI document', () => {
    assert.ok(page.rows.length >= 60, `${page.rows.length} rows in docs/api.md`);
    assert.ok(table.size >= 60, `${table.size} routes in the route table`);
    assert.ok(documented.size >= 50, `${documented.size} operations in /docs/json`);
  });

  it('the OpenAPI document describes only routes the app registers', () => {
    const unknown = [...documented].filter((route) => !table.has(route));
    assert.deepEqual(unknown, []);
  });

  it('has a row for every route in the OpenAPI document (hidden routes may have one)', () => {
    const rowed = new Set(page.rows.map((r) => r.route));
    const missing = [...documented].filter((route) => !rowed.has(route));
    assert.deepEqual(missing, [], 'add a row to docs/api.md: | `METHOD /path` | access | answers |');
  });

  it('has one row per route', () => {
    const seen = new Map<string, number>();
    const twice = page.rows.filter((r) => {
      const first = seen.get(r.route);
      seen.set(r.route, r.line);
      return first !== undefined;
    });
    assert.deepEqual(
      twice.map((r) => `${r.route} (line ${r.line})`),
      [],
    );
  });

  it('gives each route the access level (and step-up) the route declares', () => {
    const wrong = page.rows.flatMap((row) => {
      const declared = table.get(row.route) ?? wildcardAccess(row.route);
      return declared === undefined || declared === row.access ? [] : [`${row.route} (line ${row.line}): "${row.access}", the route says "${declared}"`];
    });
    assert.deepEqual(wrong, []);
  });

  it('names no route the server does not answer', () => {
    const unserved = [...page.mentions].filter((route) => {
      if (table.has(route)) return false;
      const [method, url] = route.split(' ') as [string, string];
      // A concrete path under a wildcard route (the OpenID Connect provider) must be an endpoint it announces.
      if (wildcardAccess(route) !== undefined) return !discovered.has(url);
      // Routes registered before the route table listens (the OpenAPI UI and documents).
      return !t.app.hasRoute({ method: method as 'GET', url });
    });
    assert.deepEqual(unserved, [], 'docs/api.md names routes that are not served');
  });

  it('has a row for every endpoint the OpenID Connect discovery document announces', () => {
    const rowed = new Set(page.rows.map((r) => r.route.split(' ')[1]));
    assert.deepEqual(
      [...discovered].filter((url) => !rowed.has(url)),
      [],
    );
  });

  /** The access of the wildcard route that serves a concrete path (GET /oidc/auth → GET /oidc/*), if one does. */
  function wildcardAccess(route: string): string | undefined {
    const [method, url] = route.split(' ') as [string, string];
    for (const [entry, access] of table) {
      const [m, pattern] = entry.split(' ') as [string, string];
      if (m === method && pattern.endsWith('*') && patternOf(pattern).test(url)) return access;
    }
    return undefined;
  }
});
