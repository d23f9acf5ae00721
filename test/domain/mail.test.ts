import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { eq } from 'drizzle-orm';
import { createTransport } from 'nodemailer';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mailOutbox } from '../../db/schema.js';
import { createMailer, type Mailer, type MailToSend } from '../../domain/mail/outbox.js';
import { type MailMessage, renderMail } from '../../domain/mail/templates.js';
import { freePort } from '../../lib/ports.js';
import { fixedClock, testDatabase } from '../support/deps.js';
import { extractLinks, type SmtpSink, startSmtpSink } from '../support/smtp.js';

const database = testDatabase();
const now = new Date('2025-03-04T14:05:00Z');
const silent = pino({ level: 'silent' });
let sink: SmtpSink;
let mailer: Mailer;

beforeAll(async () => {
  sink = await startSmtpSink();
  mailer = createMailer({
    database,
    config: { smtpUrl: sink.url, mailFrom: 'SSO onboarding <sso@example.test>' },
    logger: silent,
    clock: fixedClock(now),
  });
});
afterAll(async () => {
  await mailer.close();
  await sink.close();
  await database.close();
});

const unique = () => randomBytes(6).toString('hex');
const approvalUrl = () => `https://sso.example.test/approvals/${unique()}?step=pilot&x=1`;

function pilotApproval(overrides: Partial<MailToSend> = {}): MailToSend {
  const id = unique();
  return {
    idempotencyKey: `test-mail:${id}`,
    onboardingId: `ob_${id}`,
    recipient: `admin.${id}@customer.example.test`,
    message: {
      kind: 'approval_request',
      customerName: 'Acme',
      step: 'pilot',
      url: approvalUrl(),
      expiresAt: '2025-03-11T14:05:00Z',
      context: { pilotUsers: ['ada@acme.example.test'] },
    },
    ...overrides,
  };
}

const outboxRow = async (id: number) => {
  const [row] = await database.db.select().from(mailOutbox).where(eq(mailOutbox.id, id));
  if (!row) throw new Error(`no outbox row ${id}`);
  return row;
};
const receivedBy = (recipient: string) => sink.messages.filter((m) => m.to.includes(recipient));

describe('mail outbox', () => {
  it('records a mail as pending before it is delivered, then sends it once over SMTP', async () => {
    const input = pilotApproval();
    const { id, created } = await mailer.enqueue(input);
    expect(created).toBe(true);
    expect(await outboxRow(id)).toMatchObject({ status: 'pending', attempts: 0, recipient: input.recipient, sentAt: null });
    expect(receivedBy(input.recipient)).toHaveLength(0);

    expect(await mailer.deliver(id)).toBe('sent');

    const mail = await sink.waitFor((m) => m.to.includes(input.recipient));
    expect(mail.from).toBe('SSO onboarding <sso@example.test>');
    expect(mail.subject).toBe('Action needed: confirm the SSO pilot for Acme');
    const message = input.message as Extract<MailMessage, { kind: 'approval_request' }>;
    expect(extractLinks(mail)).toContain(message.url);
    expect(mail.html).toContain(message.url.replace(/&/g, '&#38;'));
    expect(await outboxRow(id)).toMatchObject({ status: 'sent', attempts: 1, lastError: null, sentAt: now });
    expect(await mailer.deliver(id)).toBe('already_sent');
    expect(receivedBy(input.recipient)).toHaveLength(1);
  });

  it('delivers one mail when the same idempotency key is sent twice', async () => {
    const input = pilotApproval();
    const first = await mailer.send(input);
    const second = await mailer.send(input);
    expect(first).toMatchObject({ created: true, delivery: 'sent' });
    expect(second).toEqual({ id: first.id, created: false, delivery: 'already_sent' });
    expect(receivedBy(input.recipient)).toHaveLength(1);
  });

  it('refuses an idempotency key reused for another recipient', async () => {
    const input = pilotApproval();
    await mailer.enqueue(input);
    await expect(mailer.enqueue({ ...input, recipient: `other.${unique()}@example.test` })).rejects.toThrow(/already used/);
  });

  it('sends one mail when two deliveries of the same row race', async () => {
    const input = pilotApproval();
    const { id } = await mailer.enqueue(input);
    const results = await Promise.all([mailer.deliver(id), mailer.deliver(id), mailer.deliver(id)]);
    expect(results.sort()).toEqual(['already_sent', 'already_sent', 'sent']);
    expect(receivedBy(input.recipient)).toHaveLength(1);
    expect((await outboxRow(id)).attempts).toBe(1);
  });

  it('without SMTP_URL, logs the subject, recipient and text (never the HTML) and marks the mail logged', async () => {
    const lines: Record<string, unknown>[] = [];
    const capture = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        lines.push(JSON.parse(chunk.toString()));
        callback();
      },
    });
    const logOnly = createMailer({
      database,
      config: { smtpUrl: undefined, mailFrom: 'sso@example.test' },
      logger: pino({ level: 'info' }, capture),
      clock: fixedClock(now),
    });
    const input = pilotApproval();

    const result = await logOnly.send(input);

    expect(result.delivery).toBe('logged');
    expect(await outboxRow(result.id)).toMatchObject({ status: 'logged', attempts: 1, sentAt: now });
    const entry = lines.find((l) => l.recipient === input.recipient);
    expect(entry).toMatchObject({ level: 30, kind: 'approval_request', subject: 'Action needed: confirm the SSO pilot for Acme' });
    expect(entry?.text).toContain((input.message as { url: string }).url);
    expect(JSON.stringify(lines)).not.toContain('<html');
    expect(await logOnly.deliver(result.id)).toBe('already_sent');
    expect(lines.filter((l) => l.recipient === input.recipient)).toHaveLength(1);
    await logOnly.close();
  });

  it('leaves the mail pending with the attempt and error recorded when the SMTP server cannot be reached, and throws', async () => {
    const unreachable = createMailer({
      database,
      config: { smtpUrl: `smtp://127.0.0.1:${await freePort()}`, mailFrom: 'sso@example.test' },
      logger: silent,
      clock: fixedClock(now),
    });
    const { id } = await unreachable.enqueue(pilotApproval());

    await expect(unreachable.deliver(id)).rejects.toThrow(/ECONNREFUSED|connect/i);

    const row = await outboxRow(id);
    expect(row).toMatchObject({ status: 'pending', attempts: 1, sentAt: null });
    expect(row.lastError).toMatch(/ECONNREFUSED|connect/i);
    await unreachable.close();
  });

  it('delivers a mail that failed before once the SMTP server answers', async () => {
    const input = pilotApproval();
    const down = createMailer({
      database,
      config: { smtpUrl: `smtp://127.0.0.1:${await freePort()}`, mailFrom: 'sso@example.test' },
      logger: silent,
      clock: fixedClock(now),
    });
    const { id } = await down.enqueue(input);
    await expect(down.deliver(id)).rejects.toThrow();
    await down.close();

    expect(await mailer.deliver(id)).toBe('sent');
    expect(await outboxRow(id)).toMatchObject({ status: 'sent', attempts: 2, lastError: null });
    expect(receivedBy(input.recipient)).toHaveLength(1);
  });
});

const hostile = '<script>alert("x")</script> & Co';
const expiresAt = '2025-03-11T09:30:00Z';

/** The last link is the one the mail's button opens. */
const samples: { message: MailMessage; links: string[]; todo: RegExp }[] = [
  {
    message: {
      kind: 'sp_details',
      customerName: hostile,
      spEntityId: 'https://sso.example.test/saml/conn_1',
      acsUrl: 'https://sso.example.test/saml/conn_1/acs',
      metadataUrl: 'https://sso.example.test/saml/conn_1/metadata',
    },
    links: ['https://sso.example.test/saml/conn_1/acs', 'https://sso.example.test/saml/conn_1/metadata'],
    todo: /add the console as a SAML 2\.0 application/,
  },
  ...(['pilot', 'migration_list', 'go_ahead'] as const).map((step) => ({
    message: {
      kind: 'approval_request' as const,
      customerName: hostile,
      step,
      url: `https://sso.example.test/approvals/tok_${step}`,
      expiresAt,
      context: { total: 1200, flagged: 7, version: 2, pilotUsers: ['ada@acme.example.test'] },
    },
    links: [`https://sso.example.test/approvals/tok_${step}`],
    todo: /Before you approve, please check/,
  })),
  {
    message: {
      kind: 'approval_reminder',
      customerName: hostile,
      step: 'migration_list',
      url: 'https://sso.example.test/approvals/tok_r',
      expiresAt,
      reminderNumber: 2,
    },
    links: ['https://sso.example.test/approvals/tok_r'],
    todo: /still waiting for your answer/,
  },
  {
    message: {
      kind: 'approval_escalation',
      customerName: hostile,
      step: 'go_ahead',
      waitingSince: '2025-03-01T08:00:00Z',
      url: 'https://sso.example.test/onboardings/ob_1',
    },
    links: ['https://sso.example.test/onboardings/ob_1'],
    todo: /Please contact the administrator/,
  },
  {
    message: { kind: 'sso_heads_up', customerName: hostile, loginUrl: 'https://sso.example.test/login/sso?connection=conn_1' },
    links: ['https://sso.example.test/login/sso?connection=conn_1'],
    todo: /sign in with your company account/,
  },
  {
    message: {
      kind: 'onboarding_completed',
      customerName: hostile,
      summary: { enforced: 1180, enabled: 3, excluded: 17 },
      url: 'https://sso.example.test/onboardings/ob_1',
    },
    links: ['https://sso.example.test/onboardings/ob_1'],
    todo: /nothing more you need to do/,
  },
];

describe('mail templates', () => {
  it.each(samples.map((s) => [`${s.message.kind}${'step' in s.message ? ` (${s.message.step})` : ''}`, s] as const))(
    '%s: text and HTML carry the link, say what to do, and escape the customer name',
    (_name, { message, links, todo }) => {
      const mail = renderMail(message);
      for (const link of links) {
        expect(mail.text).toContain(link);
        expect(mail.html).toContain(link.replace(/&/g, '&#38;'));
      }
      expect(mail.html).toContain(`href="${(links.at(-1) ?? '').replace(/&/g, '&#38;')}"`);
      expect(mail.text).toMatch(todo);
      expect(mail.html).toMatch(todo);
      expect(mail.html).not.toContain('<script>');
      expect(mail.html).toContain('&#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62; &#38; Co');
      expect(mail.subject).not.toMatch(/[\r\n]/);
    },
  );

  it('says the approval link only opens a page, and when it expires, in UTC', () => {
    const mail = renderMail(samples[1]?.message as MailMessage);
    expect(mail.text).toContain('nothing is approved until you press its button');
    expect(mail.text).toContain('expires on Tuesday 11 March 2025, 09:30 UTC');
  });

  it('lists the migration list counts the administrator is approving', () => {
    const mail = renderMail(samples[2]?.message as MailMessage);
    expect(mail.text).toContain('Users on the list: 1200');
    expect(mail.text).toContain('Flagged for review: 7');
    expect(mail.text).toContain('List version: 2');
  });

  it('keeps a line break in a customer name out of the subject', () => {
    const mail = renderMail({
      kind: 'sso_heads_up',
      customerName: 'Acme\r\nBcc: victim@example.test',
      loginUrl: 'https://sso.example.test/login',
    });
    expect(mail.subject).toBe('Soon you will sign in to the console with your Acme Bcc: victim@example.test account');
  });

  it('refuses to render a link that is not an absolute http(s) URL', () => {
    expect(() => renderMail({ kind: 'sso_heads_up', customerName: 'Acme', loginUrl: 'javascript:alert(1)' })).toThrow(
      /not an absolute http/,
    );
  });
});

describe('SMTP sink', () => {
  it('decodes encoded-word subjects and quoted-printable bodies from nodemailer', async () => {
    const input = pilotApproval({
      message: { kind: 'sso_heads_up', customerName: 'Société Générale — Zürich 日本', loginUrl: 'https://sso.example.test/login' },
    });
    await mailer.send(input);
    const mail = await sink.waitFor((m) => m.to.includes(input.recipient));
    expect(mail.subject).toBe('Soon you will sign in to the console with your Société Générale — Zürich 日本 account');
    expect(mail.text).toContain('Société Générale — Zürich 日本 is moving the console');
    expect(mail.html).toContain('Société Générale — Zürich 日本 is moving the console');
  });

  it('decodes base64 parts, which nodemailer picks for mostly non-ASCII bodies', async () => {
    const transport = createTransport(sink.url);
    const recipient = `b64.${unique()}@example.test`;
    const text = 'シングルサインオンの設定が完了しました。'.repeat(8);
    await transport.sendMail({ from: 'sso@example.test', to: recipient, subject: 'テスト'.repeat(20), text, html: `<p>${text}</p>` });
    transport.close();
    const mail = await sink.waitFor((m) => m.to.includes(recipient));
    expect(mail.raw).toMatch(/Content-Transfer-Encoding: base64/i);
    expect(mail.subject).toBe('テスト'.repeat(20));
    expect(mail.text).toBe(text);
    expect(mail.html).toBe(`<p>${text}</p>`);
  });

  it('times out listing what did arrive', async () => {
    await expect(sink.waitFor(() => false, 50)).rejects.toThrow(/no matching mail arrived within 50 ms; received \d+/);
  });
});
