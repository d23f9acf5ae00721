import { EventEmitter } from 'node:events';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  /** The From header, decoded. */
  from: string;
  /** The envelope recipients (RCPT TO). */
  to: string[];
  subject: string;
  text: string;
  html: string;
  raw: string;
  /** When the sink accepted it. */
  receivedAt: Date;
}

export interface SmtpSink {
  url: string;
  messages: ReceivedMail[];
  waitFor(predicate: (mail: ReceivedMail) => boolean, timeoutMs?: number): Promise<ReceivedMail>;
  close(): Promise<void>;
}

/**
 * A real SMTP server on loopback that keeps every message it accepts, parsed (the newest `keep`, when
 * given: `npm run dev`'s mail viewer runs for days).
 */
export async function startSmtpSink(options: { port?: number; keep?: number } = {}): Promise<SmtpSink> {
  const messages: ReceivedMail[] = [];
  const arrivals = new EventEmitter();
  const server = new SMTPServer({
    // No STARTTLS advertised, so nodemailer's opportunistic TLS on an smtp:// URL stays off; no AUTH needed.
    disabledCommands: ['STARTTLS', 'AUTH'],
    authOptional: true,
    logger: false,
    closeTimeout: 1_000,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('error', callback);
      stream.on('end', () => {
        try {
          const mail = parseMail(
            Buffer.concat(chunks),
            session.envelope.rcptTo.map((r) => r.address),
          );
          messages.push(mail);
          if (options.keep !== undefined && messages.length > options.keep) messages.splice(0, messages.length - options.keep);
          arrivals.emit('mail', mail);
          callback();
        } catch (error) {
          callback(error as Error);
        }
      });
    },
  });
  // Clients that drop the connection surface here; a test sink has nothing to do about them.
  server.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.server.address() as AddressInfo;

  return {
    url: `smtp://127.0.0.1:${port}`,
    messages,
    waitFor(predicate, timeoutMs = 5_000) {
      const already = messages.find(predicate);
      if (already) return Promise.resolve(already);
      return new Promise((resolve, reject) => {
        const onMail = (mail: ReceivedMail) => {
          try {
            if (!predicate(mail)) return;
            done();
            resolve(mail);
          } catch (error) {
            done();
            reject(error);
          }
        };
        const timer = setTimeout(() => {
          done();
          const seen = messages.map((m) => `  "${m.subject}" to ${m.to.join(', ')}`).join('\n') || '  (none)';
          reject(new Error(`no matching mail arrived within ${timeoutMs} ms; received ${messages.length}:\n${seen}`));
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          arrivals.off('mail', onMail);
        };
        arrivals.on('mail', onMail);
      });
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Absolute http(s) URLs in the text part, in order, without duplicates. */
export function extractLinks(mail: ReceivedMail): string[] {
  const found = mail.text.match(/https?:\/\/[^\s<>"]+/g) ?? [];
  return [...new Set(found.map((url) => url.replace(/[.,;:!?)\]]+$/, '')))];
}

interface MimeEntity {
  headers: Map<string, string>;
  /** Body bytes as a latin1 string, so decoding by charset happens once, at the leaf. */
  body: string;
  parts: MimeEntity[];
}

export function parseMail(raw: Buffer, envelopeTo: string[]): ReceivedMail {
  const root = parseEntity(raw.toString('latin1'));
  const leaves = flatten(root);
  const leaf = (type: string) =>
    leaves.find((e) => contentType(e).value === type && !/^attachment/i.test(e.headers.get('content-disposition') ?? ''));
  const textPart = leaf('text/plain');
  const htmlPart = leaf('text/html');
  return {
    from: decodeHeader(root.headers.get('from') ?? ''),
    to: envelopeTo,
    subject: decodeHeader(root.headers.get('subject') ?? ''),
    text: textPart ? decodeBody(textPart) : '',
    html: htmlPart ? decodeBody(htmlPart) : '',
    raw: raw.toString('utf8'),
    receivedAt: new Date(),
  };
}

function parseEntity(source: string): MimeEntity {
  const blank = /\r?\n\r?\n/.exec(source);
  const head = blank ? source.slice(0, blank.index) : source;
  const body = blank ? source.slice(blank.index + blank[0].length) : '';
  const headers = new Map<string, string>();
  // RFC 5322 unfolding: a line break followed by whitespace continues the previous header.
  for (const line of head.replace(/\r?\n(?=[ \t])/g, '').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    if (!headers.has(name)) headers.set(name, line.slice(colon + 1).trim());
  }
  const entity: MimeEntity = { headers, body, parts: [] };
  const type = contentType(entity);
  const boundary = type.params.get('boundary');
  if (type.value.startsWith('multipart/') && boundary) entity.parts = splitMultipart(body, boundary).map(parseEntity);
  return entity;
}

/** RFC 2046: the line break before a delimiter line belongs to the delimiter, not to the part. */
function splitMultipart(body: string, boundary: string): string[] {
  const parts: string[][] = [];
  let current: string[] | undefined;
  for (const line of body.split(/\r?\n/)) {
    const trimmed = line.trimEnd();
    if (trimmed === `--${boundary}--`) break;
    if (trimmed === `--${boundary}`) {
      current = [];
      parts.push(current);
    } else {
      current?.push(line);
    }
  }
  return parts.map((lines) => lines.join('\r\n'));
}

const flatten = (entity: MimeEntity): MimeEntity[] => (entity.parts.length ? entity.parts.flatMap(flatten) : [entity]);

function contentType(entity: MimeEntity): { value: string; params: Map<string, string> } {
  const header = entity.headers.get('content-type') ?? 'text/plain; charset=us-ascii';
  const value = (header.split(';')[0] ?? '').trim().toLowerCase();
  const params = new Map<string, string>();
  for (const m of header.matchAll(/;\s*([^=\s;]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;\s]*)/g)) {
    const raw = m[2] ?? '';
    params.set((m[1] ?? '').toLowerCase(), raw.startsWith('"') ? raw.slice(1, -1).replace(/\\(.)/g, '$1') : raw);
  }
  return { value, params };
}

function decodeBody(entity: MimeEntity): string {
  const encoding = (entity.headers.get('content-transfer-encoding') ?? '7bit').trim().toLowerCase();
  let bytes: Buffer;
  if (encoding === 'base64') bytes = Buffer.from(entity.body.replace(/\s+/g, ''), 'base64');
  else if (encoding === 'quoted-printable') bytes = Buffer.from(decodeQuotedPrintable(entity.body), 'latin1');
  else bytes = Buffer.from(entity.body, 'latin1');
  return decodeCharset(bytes, contentType(entity).params.get('charset')).replace(/\r\n/g, '\n');
}

const decodeQuotedPrintable = (latin1: string) =>
  latin1
    .replace(/[ \t]+(?=\r?\n)/g, '')
    .replace(/=\r?\n/g, '')
    .replace(/=([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));

function decodeCharset(bytes: Buffer, charset = 'utf-8'): string {
  try {
    return new TextDecoder(charset).decode(bytes);
  } catch {
    return new TextDecoder('utf-8').decode(bytes);
  }
}

const encodedWord = /=\?([^?\s]+)\?([BbQq])\?([^?\s]*)\?=/g;

/**
 * RFC 2047 encoded-words. Adjacent words are joined before decoding: whitespace between them is not
 * text, and an encoder may split one multi-byte character across two words.
 */
function decodeHeader(latin1: string): string {
  const value = Buffer.from(latin1, 'latin1').toString('utf8');
  return value.replace(/=\?[^?\s]+\?[BbQq]\?[^?\s]*\?=(?:\s*=\?[^?\s]+\?[BbQq]\?[^?\s]*\?=)*/g, (run) => {
    let out = '';
    let pending: { charset: string; bytes: Buffer[] } | undefined;
    const flush = () => {
      if (pending) out += decodeCharset(Buffer.concat(pending.bytes), pending.charset);
      pending = undefined;
    };
    for (const [, rawCharset = 'utf-8', encoding = 'B', text = ''] of run.matchAll(encodedWord)) {
      const charset = (rawCharset.split('*')[0] ?? rawCharset).toLowerCase();
      const bytes =
        encoding.toUpperCase() === 'B'
          ? Buffer.from(text, 'base64')
          : Buffer.from(decodeQuotedPrintable(text.replace(/_/g, ' ')), 'latin1');
      if (pending && pending.charset !== charset) flush();
      pending ??= { charset, bytes: [] };
      pending.bytes.push(bytes);
    }
    flush();
    return out;
  });
}
