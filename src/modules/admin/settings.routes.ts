// Authentication settings (admins). Every field is validated; one bad field refuses the whole change.
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { AppError } from '../../http/errors.js';
import type { RecordAudit } from '../audit/index.js';
import { actorOf } from '../sessions/index.js';
import type { RequireTwoFactorPolicy } from '../two-factor/index.js';
import { AuthSettingsPatchSchema, AuthSettingsSchema } from '../settings/index.js';
import type { SettingsService } from '../settings/index.js';
import { normalizeEmail } from '../users/index.js';
import type { GroupsService } from '../access/index.js';

export function settingsRoutes(
  app: FastifyInstance,
  deps: { settings: SettingsService; policy: RequireTwoFactorPolicy; audit: RecordAudit; groups: Pick<GroupsService, 'findByName'> },
): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['administration'];
  r.get(
    '/api/admin/settings/authentication',
    { config: { access: 'admin' }, schema: { tags, summary: 'Authentication settings', response: { 200: AuthSettingsSchema } } },
    () => deps.settings.get(),
  );
  r.put(
    '/api/admin/settings/authentication',
    {
      config: { access: 'admin', stepUp: true },
      schema: {
        tags,
        summary: 'Change Authentication settings (fields left out keep their values)',
        body: AuthSettingsPatchSchema,
        response: { 200: AuthSettingsSchema },
      },
    },
    async (request) => {
      const session = request.session!;
      const patch = { ...request.body };
      // Domains are compared with the normalised part of an address after its @.
      if (patch.registrationDomains) patch.registrationDomains = [...new Set(patch.registrationDomains.map((d) => normalizeEmail(d)))];
      if (patch.registrationGroup) {
        const group = await deps.groups.findByName(patch.registrationGroup);
        if (!group) throw new AppError('invalid_request', `There is no group named "${patch.registrationGroup}".`);
        if (group.source !== 'local') throw new AppError('directory_group');
      }
      // The new policy's clocks start in the same transaction as the setting that causes them.
      const { before, after } = await deps.settings.update(patch, async (trx, was, now) => {
        // An administrator without 2FA who requires it with no grace left would be restricted to
        // enrolment at their next request, unable even to turn the setting back off: refused.
        if (deps.policy.wouldRestrict(session.user, session.twoFactorEnabled, now)) throw new AppError('enrol_two_factor_first');
        await deps.policy.applyPolicyChange(trx, was.require2fa, now.require2fa);
      });
      const changed = Object.fromEntries(
        (Object.keys(after) as Array<keyof typeof after>)
          .filter((k) => JSON.stringify(before[k]) !== JSON.stringify(after[k]))
          .map((k) => [k, { from: before[k], to: after[k] }]),
      );
      if (Object.keys(changed).length > 0) await deps.audit({ kind: 'settings.changed', actor: actorOf(request), address: request.ip, details: { changed } });
      return after;
    },
  );
}
