// An audit event as a sentence in the chosen language ("ana signed in with a backup code"), and a
// settings change as its old → new values. Kinds without a sentence of their own say their name.
import type { TFunction } from 'i18next';
import type { AuditEvent } from '../../src/shared/api-types';

export const AUDIT_KINDS = [
  'sign_in.succeeded',
  'sign_in.failed',
  'sign_out',
  'session.ended',
  'sessions.ended',
  'reauthenticated',
  'reauthentication.failed',
  'password.changed',
  '2fa.enabled',
  '2fa.disabled',
  '2fa.backup_codes_generated',
  '2fa.backup_code_used',
  '2fa.code_replay_refused',
  'account.locked',
  'account.unlocked',
  'account.lock_refusals',
  'user.created',
  'user.blocked',
  'user.unblocked',
  'user.role_changed',
  'user.deleted',
  'user.profile_changed',
  'user.email_change_requested',
  'user.email_changed',
  'user.email_change_undone',
  'user.email_kept',
  'settings.changed',
  'device.revoked',
  'redirect.refused',
  'oidc.authorized',
  'oidc.consented',
  'oidc.grant_revoked',
  'oidc.signed_out',
  'oidc.token_refused',
  'oidc.client_created',
  'oidc.client_deleted',
  'oidc.client_updated',
  'group.created',
  'group.renamed',
  'group.deleted',
  'group.member_added',
  'group.member_removed',
  'access.application_created',
  'access.application_renamed',
  'access.application_deleted',
  'access.rule_added',
  'access.rule_removed',
  'access.refused',
  'setup.completed',
  'invitation.sent',
  'invitation.resent',
  'invitation.revoked',
  'invitation.accepted',
  'registration.requested',
  'registration.completed',
  'user.approved',
  'upstream.provider_added',
  'upstream.provider_changed',
  'upstream.provider_removed',
  'upstream.link_offered',
  'upstream.linked',
  'upstream.unlinked',
  'upstream.sign_in',
  'upstream.refused',
] as const;

const keyOf = (kind: string) => `audit.kinds.${kind.replace(/\./g, '_')}`;

export function kindName(t: TFunction, kind: string): string {
  const text = t(`${keyOf(kind)}.name`);
  return text === `${keyOf(kind)}.name` ? kind : text;
}

export function auditSentence(t: TFunction, event: AuditEvent): string {
  const actor = event.actor?.email ?? (event.actorKind === 'cli' ? t('audit.cli') : t('audit.someone'));
  const subject = event.subject?.email ?? t('audit.someone');
  const d = event.details;
  const method = typeof d.method === 'string' ? t(`audit.methods.${d.method}`, { defaultValue: d.method }) : '';
  const values = {
    actor,
    subject,
    method,
    from: typeof d.from === 'string' ? d.from : '',
    to: typeof d.to === 'string' ? d.to : '',
    client: typeof d.clientName === 'string' ? d.clientName : typeof d.clientId === 'string' ? d.clientId : '',
    ...accessValues(t, d),
  };
  const self = event.actor && event.subject && event.actor.id === event.subject.id;
  const base = keyOf(event.kind);
  const variant = self ? `${base}.self` : `${base}.other`;
  const text = t(variant, { ...values, defaultValue: '' }) || t(`${base}.self`, { ...values, defaultValue: '' });
  return text || t('audit.unknown', { kind: event.kind, actor, subject });
}

/** The groups and forward-auth events (issue 27): the group, the application and its host, the path, a refusal's why. */
function accessValues(t: TFunction, d: AuditEvent['details']) {
  const text = (value: unknown) => (typeof value === 'string' ? value : '');
  const count = typeof d.count === 'number' ? d.count : 1;
  return {
    group: text(d.group),
    name: text(d.name),
    // Invitations: the invited email (no account exists yet to name).
    email: text(d.email),
    host: text(d.host),
    path: text(d.path),
    application: text(d.application) || t('audit.unknownApplication'),
    reason: typeof d.reason === 'string' ? t(`audit.reasons.${d.reason}`, { defaultValue: d.reason }) : '',
    count: count > 1 ? t('audit.refusalCount', { count }) : '',
  };
}

/** settings.changed: every field's old → new value, in words. */
export function settingsChanges(t: TFunction, event: AuditEvent): string[] {
  const changed = event.details.changed;
  if (event.kind !== 'settings.changed' || typeof changed !== 'object' || changed === null) return [];
  return Object.entries(changed as Record<string, { from: unknown; to: unknown }>).map(
    ([field, { from, to }]) => `${t(`settings.${field}`, { defaultValue: field })}: ${String(from)} → ${String(to)}`,
  );
}
