// Puts messages in the outbox, inside the caller's transaction: the message exists exactly when
// the change that causes it was committed. The rendered message is sealed (AES-256-GCM, the
// message id as associated data) because a reset link is a secret while it waits.
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';
import { decryptSecret, encryptSecret } from '../../crypto/secret-box.js';
import { findUserById } from '../users/index.js';
import { insertOutboxMessage } from './mail.repository.js';
import { type MailLocale, type MailTemplate, type RenderedMail, renderMail, toMailLocale } from './templates.js';

/** Queues a notification for an account, in its language, within the caller's transaction `trx`. */
export type Notify = (trx: Kysely<DB>, userId: string, template: MailTemplate) => Promise<void>;

/** For services built without mail (tools, older tests): nothing is queued. */
export const notifyNobody: Notify = async () => {};

export class MailQueue {
  private readonly secretBox: Buffer;
  private readonly publicUrl: URL;
  private readonly clock: () => number;

  constructor(deps: { secretBox: Buffer; publicUrl: URL; clock: () => number }) {
    this.secretBox = deps.secretBox;
    this.publicUrl = deps.publicUrl;
    this.clock = deps.clock;
  }

  /** An address on the public URL (which may carry a path). */
  link(pathAndQuery: string): string {
    return new URL(pathAndQuery.replace(/^\//, ''), this.publicUrl.href.endsWith('/') ? this.publicUrl : `${this.publicUrl.href}/`).href;
  }

  get securityUrl(): string {
    return this.link('/account/security');
  }

  notify: Notify = async (trx, userId, template) => {
    const user = await findUserById(trx, userId);
    if (!user) return;
    await this.enqueue(trx, { to: user.email, locale: toMailLocale(user.locale), template });
  };

  async enqueue(trx: Kysely<DB>, input: { to: string; locale: MailLocale; template: MailTemplate }): Promise<void> {
    const id = randomUUID();
    const rendered = renderMail(input.template, input.locale, { securityUrl: this.securityUrl });
    const body = encryptSecret(this.secretBox, JSON.stringify(rendered), id);
    await insertOutboxMessage(trx, { id, kind: input.template.kind, recipient: input.to, body, now: this.clock() });
  }

  open(id: string, body: string): RenderedMail {
    return JSON.parse(decryptSecret(this.secretBox, body, id)) as RenderedMail;
  }
}
