// Where messages go: an SMTP server (nodemailer; STARTTLS when offered on smtp://, TLS from the
// start on smtps://) or, with no server configured, one .eml file per message in the outbox folder
// (nodemailer builds the MIME either way; nothing here writes SMTP or MIME by hand).
import fs from 'node:fs/promises';
import path from 'node:path';
import nodemailer from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport/index.js';
import type { RenderedMail } from './templates.js';

export interface OutgoingMail extends RenderedMail {
  /** The outbox id: also the Message-ID's left part, so a receiver can tell a resend. */
  id: string;
  from: string;
  to: string;
  /** For the Message-ID's right part. */
  domain: string;
}

export interface MailTransport {
  /** Resolves once the server accepted the message (or the file is written); throws otherwise. */
  send(mail: OutgoingMail): Promise<void>;
  close(): void;
  /** For the start-up message. */
  readonly description: string;
}

/** Slow or silent servers must not hold a message's lease: every wait is bounded. */
const SMTP_TIMEOUT_MS = 30_000;

function envelope(mail: OutgoingMail) {
  return {
    from: mail.from,
    to: mail.to,
    subject: mail.subject,
    text: mail.text,
    html: mail.html,
    messageId: `<${mail.id}@${mail.domain}>`,
  };
}

export function smtpTransport(url: string): MailTransport {
  const transporter = nodemailer.createTransport({
    url,
    connectionTimeout: SMTP_TIMEOUT_MS,
    greetingTimeout: SMTP_TIMEOUT_MS,
    socketTimeout: SMTP_TIMEOUT_MS,
  } as SMTPTransport.Options);
  const shown = new URL(url);
  return {
    description: `SMTP at ${shown.protocol}//${shown.host}`,
    async send(mail) {
      await transporter.sendMail(envelope(mail));
    },
    close: () => transporter.close(),
  };
}

export function folderTransport(folder: string): MailTransport {
  const builder = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  return {
    description: `the folder ${folder} (one .eml file per message; set GATEHOUSE_SMTP_URL to send mail)`,
    async send(mail) {
      const info = await builder.sendMail(envelope(mail));
      // Written under a temporary name, then linked into place: a reader never sees half a file,
      // and link() refuses an existing name, so a message written before a crash (and not yet
      // marked sent) is not written twice. The folder is made when it is missing, not per message.
      const temporary = path.join(folder, `.${mail.id}.${process.pid}.tmp`);
      const write = () => fs.writeFile(temporary, info.message as Buffer, { mode: 0o600 });
      await write().catch(async (error: NodeJS.ErrnoException) => {
        if (error.code !== 'ENOENT') throw error;
        await fs.mkdir(folder, { recursive: true, mode: 0o700 });
        await write();
      });
      try {
        await fs.link(temporary, path.join(folder, `${mail.id}.eml`));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      } finally {
        await fs.unlink(temporary).catch(() => {});
      }
    },
    close: () => builder.close(),
  };
}

/** `gatehouse doctor`: connects, greets and (with credentials in the address) logs in, sending nothing. */
export async function verifySmtp(url: string, timeoutMs: number): Promise<void> {
  const transporter = nodemailer.createTransport({
    url,
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
  } as SMTPTransport.Options);
  try {
    await transporter.verify();
  } finally {
    transporter.close();
  }
}
