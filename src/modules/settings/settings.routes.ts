// Authentication settings (admins). Every field is validated; one bad field refuses the whole change.
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Services } from '../../services.js';
import { actorOf } from '../../http/access.js';
import { AuthSettingsPatchSchema, AuthSettingsSchema } from './auth-settings.js';
import type { AccessPolicy } from '../two-factor-policy/require-2fa.js';

export function settingsRoutes(app: FastifyInstance, s: Services, deps: { policy: AccessPolicy }): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['administration'];
  r.get('/api/admin/settings/authentication', { config: { access: 'admin' }, schema: { tags, summary: 'Authentication settings', response: { 200: AuthSettingsSchema } } }, () => s.settings.get());
  r.put(
    '/api/admin/settings/authentication',
    { config: { access: 'admin' }, schema: { tags, summary: 'Change Authentication settings (fields left out keep their values)', body: AuthSettingsPatchSchema, response: { 200: AuthSettingsSchema } } },
    async (request) => {
      const { before, after } = await s.settings.update(request.body);
      await deps.policy.applyPolicyChange(before.require2fa, after.require2fa);
      const changed = Object.fromEntries(
        (Object.keys(after) as Array<keyof typeof after>).filter((k) => before[k] !== after[k]).map((k) => [k, { from: before[k], to: after[k] }]),
      );
      if (Object.keys(changed).length > 0) await s.audit({ kind: 'settings.changed', actor: actorOf(request), address: request.ip, details: { changed } });
      return after;
    },
  );
}
