import { createHash } from 'node:crypto';
import { and, eq, ne, sql } from 'drizzle-orm';
import { createTransport } from 'nodemailer';
import type { Database, Db } from '../../db/client.js';
import { mailOutbox } from '../../db/schema.js';
import type { Clock } from '../../lib/clock.js';
import type { Config } from '../../lib/config.js';
import type { Logger } from '../../lib/logger.js';
import { type MailMessage, renderMail } from './templates.js';

export interface MailToSend {
  /** Same key, same mail: a retried activity passes the key it used before and nothing is sent twice. */
  idempotencyKey: string;
  onboardingId?: string;
  /** Stored in the outbox for operators; defaults to the template's kind. */
  kind?: string;
  recipient: string;
  message: MailMessage;
}

export type DeliveryResult = 'sent' | 'logged' | 'already_sent';

export interface MailerDeps {
  database: Database;
  config: Pick<Config, 'smtpUrl' | 'mailFrom'>;
  logger: Logger;
  clock: Clock;
}

export interface Mailer {
  enqueue(input: MailToSend): Promise<{ id: number; created: boolean }>;
  deliver(id: number): Promise<DeliveryResult>;
  send(input: MailToSend): Promise<{ id: number; created: boolean; delivery: DeliveryResult }>;
  close(): Promise<void>;
}

// Bounded so a stalled SMTP server cannot hold the outbox row lock (and a pool connection) for long.
const smtpTimeouts = { connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 30_000 };

/** After delivery a link is cut from the stored copy, so the outbox never holds a live approval token. */
export async function redactDeliveredLink(db: Db, mailId: number, url: string) {
  await db
    .update(mailOutbox)
    .set({
      textBody: sql`replace(${mailOutbox.textBody}, ${url}, '[approval link removed after sending]')`,
      htmlBody: sql`replace(${mailOutbox.htmlBody}, ${url}, '[approval link removed after sending]')`,
    })
    .where(and(eq(mailOutbox.id, mailId), ne(mailOutbox.status, 'pending')));
}

export function createMailer({ database, config, logger, clock }: MailerDeps): Mailer {
  const { db } = database;
  const transport = config.smtpUrl ? createTransport({ url: config.smtpUrl, ...smtpTimeouts }) : undefined;
  const fromDomain = /@([^>\s]+)/.exec(config.mailFrom)?.[1] ?? 'localhost';

  async function enqueue(input: MailToSend) {
    const rendered = renderMail(input.message);
    const kind = input.kind ?? input.message.kind;
    const [inserted] = await db
      .insert(mailOutbox)
      .values({
        idempotencyKey: input.idempotencyKey,
        onboardingId: input.onboardingId ?? null,
        kind,
        recipient: input.recipient,
        subject: rendered.subject,
        textBody: rendered.text,
        htmlBody: rendered.html,
        createdAt: clock.now(),
      })
      .onConflictDoNothing({ target: mailOutbox.idempotencyKey })
      .returning({ id: mailOutbox.id });
    if (inserted) return { id: inserted.id, created: true };

    const [existing] = await db
      .select({ id: mailOutbox.id, recipient: mailOutbox.recipient, kind: mailOutbox.kind })
      .from(mailOutbox)
      .where(eq(mailOutbox.idempotencyKey, input.idempotencyKey));
    if (!existing) throw new Error(`mail_outbox: no row for idempotency key ${input.idempotencyKey} after a conflicting insert`);
    // A reused key for another recipient or kind is a caller bug that would silently drop a mail.
    if (existing.recipient !== input.recipient || existing.kind !== kind) {
      throw new Error(`mail_outbox: idempotency key ${input.idempotencyKey} already used for another mail (${existing.kind})`);
    }
    return { id: existing.id, created: false };
  }

  /**
   * The row stays locked (select ... for update) while the mail goes out: a concurrent deliver(id)
   * waits, then sees `sent` and returns `already_sent`; if the first attempt failed it finds the row
   * pending and tries again. A crash between the SMTP server's acceptance and the commit leaves the
   * row pending, so delivery is at-least-once at that one edge (the stable Message-ID lets receivers
   * spot the duplicate).
   */
  async function deliver(id: number): Promise<DeliveryResult> {
    const outcome = await db.transaction(async (tx) => {
      const [row] = await tx.select().from(mailOutbox).where(eq(mailOutbox.id, id)).for('update');
      if (!row) throw new Error(`mail_outbox: no mail with id ${id}`);
      if (row.status === 'sent' || row.status === 'logged') return { result: 'already_sent' as const };
      const attempts = row.attempts + 1;
      const about = { mailId: row.id, kind: row.kind, recipient: row.recipient, subject: row.subject };

      if (!transport) {
        // Local development without SMTP_URL: the text part (with its links) is what a developer needs.
        // The HTML part is never logged; it repeats the text and links may one day carry secrets.
        logger.info({ ...about, text: row.textBody }, 'mail not sent (no SMTP_URL), logged instead');
        await tx.update(mailOutbox).set({ status: 'logged', attempts, lastError: null, sentAt: clock.now() }).where(eq(mailOutbox.id, id));
        return { result: 'logged' as const };
      }

      try {
        await transport.sendMail({
          from: config.mailFrom,
          to: row.recipient,
          subject: row.subject,
          text: row.textBody,
          html: row.htmlBody,
          messageId: `<outbox-${row.id}-${createHash('sha256').update(row.idempotencyKey).digest('hex').slice(0, 16)}@${fromDomain}>`,
        });
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        logger.warn({ ...about, attempts, err: message }, 'mail delivery failed');
        await tx
          .update(mailOutbox)
          .set({ attempts, lastError: message.slice(0, 2000) })
          .where(eq(mailOutbox.id, id));
        return { error };
      }
      await tx.update(mailOutbox).set({ status: 'sent', attempts, lastError: null, sentAt: clock.now() }).where(eq(mailOutbox.id, id));
      logger.info(about, 'mail sent');
      return { result: 'sent' as const };
    });
    // Thrown after the commit, so the attempt and its error stay recorded for the caller's retry.
    if ('error' in outcome) throw outcome.error;
    return outcome.result;
  }

  return {
    enqueue,
    deliver,
    async send(input) {
      const queued = await enqueue(input);
      return { ...queued, delivery: await deliver(queued.id) };
    },
    async close() {
      transport?.close();
    },
  };
}
