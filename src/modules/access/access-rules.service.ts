// Forward-auth applications and their rules, as administrators manage them (admin area, HTTP,
// `gatehouse access`). What the rules mean is policy.ts; this file keeps them well-formed: known
// groups and people only, one rule per application and path, within the limits.
import { randomUUID } from 'node:crypto';
import { AppError } from '../../http/errors.js';
import type { Actor } from '../audit/index.js';
import { findUserByEmail, normalizeEmail } from '../users/index.js';
import type { Strength } from '../../core/session-strength.js';
import type { AccessApplication, AccessRule } from '../../shared/api-types.js';
import * as repo from './access.repository.js';
import { change } from './access-change.js';
import { applicationHost, MAX_RULES, parseWho, rulePath, strength } from './access.validation.js';
import { orderRules } from './policy.js';
import { type PresentableRule, presentRule } from './rule.presenter.js';

export interface NewRule {
  host: string;
  /** Default `/`: the whole host. */
  path?: string;
  /** `anyone`, `group:NAME`, `user:EMAIL`; exactly one of allow and deny. */
  allow?: readonly string[];
  deny?: boolean;
  /** Default `password`. Not with deny. */
  factors?: string;
  /** The application's name when this rule creates it (default: the host). */
  name?: string;
}

export class AccessRulesService {
  constructor(private readonly deps: { db: repo.Db; clock: () => number }) {}

  /** Every application with its rules in the order they are tried. */
  async list(): Promise<AccessApplication[]> {
    const rows = await repo.loadPolicy(this.deps.db);
    const groupNames = new Map(rows.groups.map((g) => [g.id, g.name]));
    const userIds = [...new Set(rows.subjects.flatMap((s) => (s.user_id === null ? [] : [s.user_id])))];
    const emails = await repo.emailsOf(this.deps.db, userIds);
    return rows.applications.map((application) => ({
      id: application.id,
      name: application.name,
      host: application.host,
      createdAt: new Date(Number(application.created_at)).toISOString(),
      rules: orderRules(rows.rules.filter((r) => r.application_id === application.id)).map((rule) =>
        presentRule(storedRule(rule, rows.subjects), application, { groupNames, userEmails: emails }),
      ),
    }));
  }

  createApplication(input: { name?: string; host: string }, actor: Actor, address: string | null): Promise<AccessApplication> {
    const host = applicationHost(input.host);
    const name = applicationName(input.name ?? host);
    return change(this.deps.db, this.deps.clock, async (trx) => {
      const application = await this.insertApplication(trx, host, name);
      return {
        result: { id: application.id, name, host, createdAt: new Date(application.created_at).toISOString(), rules: [] },
        events: [{ kind: 'access.application_created', actor, address, details: { host, name } }],
      };
    });
  }

  renameApplication(id: string, rawName: string, actor: Actor, address: string | null): Promise<void> {
    const name = applicationName(rawName);
    return change(this.deps.db, this.deps.clock, async (trx) => {
      const application = await repo.findApplicationById(trx, id);
      if (!application) throw new AppError('not_found', 'No such application.');
      if (application.name === name) return { result: undefined, events: [] };
      await repo.renameApplication(trx, id, name);
      return {
        result: undefined,
        events: [{ kind: 'access.application_renamed', actor, address, details: { host: application.host, name, from: application.name } }],
      };
    });
  }

  /** A rule for the host's application, which is created (named after the host) when there is none yet. */
  addRule(input: NewRule, actor: Actor, address: string | null): Promise<AccessRule> {
    const host = applicationHost(input.host);
    const path = rulePath(input.path ?? '/');
    if ((input.deny === true) === (input.allow !== undefined))
      throw new AppError('invalid_request', 'Give either who may enter (allow) or deny, not both and not neither.');
    if (input.deny && input.factors !== undefined) throw new AppError('invalid_request', 'A deny rule refuses everyone: it takes no factors.');
    const factors: Strength = strength(input.factors);
    const who = input.deny ? [] : parseWho(input.allow!);
    return change(this.deps.db, this.deps.clock, async (trx) => {
      if ((await repo.countRules(trx)) >= MAX_RULES) throw new AppError('invalid_request', `There are already ${MAX_RULES} rules, the most Gatehouse keeps.`);
      const subjects: Array<{ group_id: string | null; user_id: string | null }> = [];
      const groupNames = new Map<string, string>();
      const emails = new Map<string, string>();
      for (const entry of who) {
        if (entry.kind === 'group') {
          const group = await repo.findGroupByName(trx, entry.name);
          if (!group) throw new AppError('invalid_request', `There is no group named "${entry.name}".`);
          if (!groupNames.has(group.id)) subjects.push({ group_id: group.id, user_id: null });
          groupNames.set(group.id, group.name);
        } else if (entry.kind === 'user') {
          const user = await findUserByEmail(trx, entry.email);
          if (!user) throw new AppError('invalid_request', `There is no user with the email ${normalizeEmail(entry.email)}.`);
          if (!emails.has(user.id)) subjects.push({ group_id: null, user_id: user.id });
          emails.set(user.id, user.email);
        }
      }
      const events = [];
      let application = await repo.findApplicationByHost(trx, host);
      if (!application) {
        const name = applicationName(input.name ?? host);
        application = await this.insertApplication(trx, host, name);
        events.push({ kind: 'access.application_created', actor, address, details: { host, name } });
      }
      const existing = await repo.findRuleByPath(trx, application.id, path);
      if (existing) {
        throw new AppError('overlapping_rule', `${host} already has a rule for ${path} (${existing.id}): remove it first, or choose another path.`, {
          rule: existing.id,
        });
      }
      const row: repo.RuleRow = {
        id: randomUUID(),
        application_id: application.id,
        path,
        effect: input.deny ? 'deny' : 'allow',
        anyone: who.some((w) => w.kind === 'anyone') ? 1 : 0,
        factors,
        created_at: this.deps.clock(),
      };
      await repo.insertRule(trx, row, subjects);
      const rule = presentRule(
        storedRule(
          row,
          subjects.map((s) => ({ rule_id: row.id, ...s })),
        ),
        application,
        { groupNames, userEmails: emails },
      );
      events.push({ kind: 'access.rule_added', actor, address, details: { rule: rule.id, host, path, effect: rule.effect, who: rule.who, factors } });
      return { result: rule, events };
    });
  }

  /** Removes a rule, or an application with all its rules, by its id. Answers what was removed. */
  remove(id: string, actor: Actor, address: string | null): Promise<'rule' | 'application'> {
    return change(this.deps.db, this.deps.clock, async (trx) => {
      const rule = await repo.findRuleById(trx, id);
      if (rule) {
        const application = (await repo.findApplicationById(trx, rule.application_id))!;
        await repo.deleteRule(trx, id);
        return {
          result: 'rule' as const,
          events: [{ kind: 'access.rule_removed', actor, address, details: { rule: id, host: application.host, path: rule.path } }],
        };
      }
      const application = await repo.findApplicationById(trx, id);
      if (!application) throw new AppError('not_found', `No rule or application has the id ${id.slice(0, 80)}.`);
      await repo.deleteApplication(trx, id);
      return {
        result: 'application' as const,
        events: [{ kind: 'access.application_deleted', actor, address, details: { host: application.host, name: application.name } }],
      };
    });
  }

  private async insertApplication(trx: repo.Db, host: string, name: string): Promise<repo.ApplicationRow> {
    if (await repo.findApplicationByHost(trx, host)) throw new AppError('application_exists', `An application for ${host} already exists.`);
    const row = { id: randomUUID(), name, host, created_at: this.deps.clock() };
    await repo.insertApplication(trx, row);
    return row;
  }
}

function applicationName(raw: string): string {
  const name = raw.trim();
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what a name may not carry
  if (name.length === 0 || name.length > 100 || /[\u0000-\u001f\u007f]/.test(name)) {
    throw new AppError('invalid_request', 'An application name has 1 to 100 characters, no control characters.');
  }
  return name;
}

/** A stored rule with its subjects, in the shape the presenter reads. */
function storedRule(rule: repo.RuleRow, subjects: readonly repo.SubjectRow[]): PresentableRule {
  const own = subjects.filter((s) => s.rule_id === rule.id);
  return {
    ...rule,
    anyone: rule.anyone === 1,
    groupIds: own.flatMap((s) => (s.group_id === null ? [] : [s.group_id])),
    userIds: own.flatMap((s) => (s.user_id === null ? [] : [s.user_id])),
  };
}
