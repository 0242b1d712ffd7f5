// Queries built once and then run with new values. Kysely builds a query anew on every call
// (immutable nodes, frozen objects, a compile pass); on the sign-in path, a dozen such queries a
// request, a profile showed that building as a large share of the event loop's time. `compiled`
// calls the builder once per dialect with placeholder values, keeps the SQL, and substitutes each
// call's values for the placeholders.
//
// Only for queries whose arguments are plain values (strings, numbers, null), or rows of such
// values with always the same columns, used as values (compared, inserted, set), never as names,
// limits or parts of the SQL's shape: the builder must not look at them.
import { randomBytes } from 'node:crypto';
import { CompiledQuery, type Compilable, type Kysely, type QueryResult } from 'kysely';
import type { DB } from './schema.js';

type Slot = { arg: number; column?: string } | { constant: unknown };

/** Placeholders carry a per-process random mark, so no real value can be taken for one. */
const MARK = `gatehouse-${randomBytes(8).toString('hex')}`;
const PLACEHOLDER = new RegExp(`^${MARK}:(\\d+):(.*)$`);

const isRow = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

export function compiled<Args extends readonly unknown[], Row>(
  build: (db: Kysely<DB>, ...args: Args) => Compilable<Row>,
): (db: Kysely<DB>, ...args: Args) => Promise<QueryResult<Row>> {
  // By adapter: a transaction shares its database's adapter, and SQLite and PostgreSQL differ.
  const byAdapter = new WeakMap<object, { sql: string; slots: Slot[]; columns: Array<number | null> }>();
  return (db, ...args) => {
    const adapter = db.getExecutor().adapter;
    let entry = byAdapter.get(adapter);
    if (entry === undefined) {
      const placeholder = (i: number, column?: string) => `${MARK}:${i}:${column ?? ''}`;
      const placeholders = args.map((arg, i) =>
        isRow(arg) ? Object.fromEntries(Object.keys(arg).map((column) => [column, placeholder(i, column)])) : placeholder(i),
      );
      const query = build(db, ...(placeholders as unknown as Args)).compile();
      const slots: Slot[] = query.parameters.map((value) => {
        const match = typeof value === 'string' ? PLACEHOLDER.exec(value) : null;
        if (!match) return { constant: value };
        return match[2] ? { arg: Number(match[1]), column: match[2] } : { arg: Number(match[1]) };
      });
      const used = new Set(slots.flatMap((slot) => ('arg' in slot ? [`${slot.arg}:${slot.column ?? ''}`] : [])));
      args.forEach((arg, i) => {
        for (const column of isRow(arg) ? Object.keys(arg) : ['']) {
          if (!used.has(`${i}:${column}`)) throw new Error(`compiled query: argument ${i}${column ? `.${column}` : ''} is not a value of the query`);
        }
      });
      entry = { sql: query.sql, slots, columns: args.map((arg) => (isRow(arg) ? Object.keys(arg).length : null)) };
      byAdapter.set(adapter, entry);
    }
    const { columns } = entry;
    args.forEach((arg, i) => {
      if (columns[i] !== null && (!isRow(arg) || Object.keys(arg).length !== columns[i])) throw new Error(`compiled query: argument ${i} has other columns`);
    });
    const parameters = entry.slots.map((slot) => {
      if (!('arg' in slot)) return slot.constant;
      const arg = args[slot.arg];
      return slot.column === undefined ? arg : (arg as Record<string, unknown>)[slot.column];
    });
    return db.executeQuery<Row>(CompiledQuery.raw(entry.sql, parameters));
  };
}
