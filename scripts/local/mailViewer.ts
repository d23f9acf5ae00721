// `npm run dev`'s mail viewer, used only when SMTP_URL is unset outside production: a real SMTP server on
// loopback (the worker and the API send to it as to any other) and a small web page listing every mail it
// received, with the links clickable, so a newcomer can follow an approval or setup link without a mailbox.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { html, SafeHtml, safeHref } from '../../api/pages/html.js';
import { extractLinks, type ReceivedMail, type SmtpSink, startSmtpSink } from './smtpSink.js';

/** The newest mails kept in memory: a development run may last days. */
export const keptMails = 500;

export interface MailViewer {
  url: string;
  smtpUrl: string;
  sink: SmtpSink;
  close(): Promise<void>;
}

const style = `body{font:15px/1.5 system-ui,sans-serif;margin:2rem auto;max-width:60rem;padding:0 1rem;color:#1f2328}
table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:.4rem .6rem;border-bottom:1px solid #d0d7de;vertical-align:top}
pre{white-space:pre-wrap;word-break:break-word;background:#f6f8fa;padding:1rem;border-radius:6px}a{color:#0969da}.muted{color:#59636e}`;

function page(title: string, body: SafeHtml): string {
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${title}</title><meta name="viewport" content="width=device-width, initial-scale=1">
<style>${new SafeHtml(style)}</style></head>
<body><p class="muted"><a href="/">Mail viewer</a> · development only: every mail the service sent since this <code>npm run dev</code> started</p>${body}</body></html>`
    .value;
}

/** The text part with every http(s) URL made a link; everything else escaped. */
function linkedText(text: string): SafeHtml {
  const parts: (SafeHtml | string)[] = [];
  let last = 0;
  for (const match of text.matchAll(/https?:\/\/[^\s<>"]+/g)) {
    const url = match[0].replace(/[.,;:!?)\]]+$/, '');
    const at = match.index ?? 0;
    parts.push(text.slice(last, at), html`<a href="${safeHref(url)}">${url}</a>`);
    last = at + url.length;
  }
  parts.push(text.slice(last));
  return html`${parts}`;
}

function listPage(mails: readonly ReceivedMail[]): string {
  const rows = mails
    .map((mail, index) => ({ mail, index }))
    .reverse()
    .map(
      ({ mail, index }) =>
        html`<tr><td class="muted">${mail.receivedAt.toISOString().replace('T', ' ').slice(0, 19)}</td><td>${mail.to.join(', ')}</td>
<td><a href="/mail/${index + 1}">${mail.subject || '(no subject)'}</a></td></tr>`,
    );
  return page(
    'Mail viewer',
    html`<h1>Mail viewer</h1>${
      mails.length === 0
        ? html`<p>No mail yet. Start an onboarding (support console or <code>npm run cli -- start …</code>) and its first mail appears here.</p>`
        : html`<table><thead><tr><th>Received (UTC)</th><th>To</th><th>Subject</th></tr></thead><tbody>${rows}</tbody></table>`
    }`,
  );
}

function mailPage(mail: ReceivedMail, number: number): string {
  const links = extractLinks(mail);
  return page(
    mail.subject,
    html`<h1>${mail.subject || '(no subject)'}</h1>
<table><tbody><tr><th>From</th><td>${mail.from}</td></tr><tr><th>To</th><td>${mail.to.join(', ')}</td></tr>
<tr><th>Received</th><td>${mail.receivedAt.toISOString()}</td></tr></tbody></table>
${links.length > 0 && html`<h2>Links</h2><ul>${links.map((url) => html`<li><a href="${safeHref(url)}">${url}</a></li>`)}</ul>`}
<h2>Text</h2><pre>${linkedText(mail.text)}</pre>
${mail.html && html`<p><a href="/mail/${number}.html">The HTML part</a> (shown sandboxed, as a mail client would)</p>`}`,
  );
}

export async function startMailViewer(options: { port: number; smtpPort?: number }): Promise<MailViewer> {
  const sink = await startSmtpSink({ keep: keptMails, port: options.smtpPort ?? 0 });
  const server: Server = createServer((req, res) => {
    const send = (status: number, type: string, body: string, csp = "default-src 'none'; style-src 'unsafe-inline'") => {
      res.writeHead(status, { 'content-type': type, 'content-security-policy': csp, 'x-content-type-options': 'nosniff' });
      res.end(body);
    };
    if (req.method !== 'GET') return send(405, 'text/plain; charset=utf-8', 'the mail viewer only answers GET\n');
    const path = (req.url ?? '/').split('?')[0] as string;
    if (path === '/') return send(200, 'text/html; charset=utf-8', listPage(sink.messages));
    if (path === '/messages.json') {
      const items = sink.messages.map((mail, index) => ({
        number: index + 1,
        receivedAt: mail.receivedAt.toISOString(),
        from: mail.from,
        to: mail.to,
        subject: mail.subject,
        text: mail.text,
        links: extractLinks(mail),
      }));
      return send(200, 'application/json', JSON.stringify({ items }));
    }
    const match = /^\/mail\/(\d{1,6})(\.html)?$/.exec(path);
    const mail = match ? sink.messages[Number(match[1]) - 1] : undefined;
    if (!match || !mail) return send(404, 'text/plain; charset=utf-8', `no mail at ${path}; the list is at /\n`);
    if (match[2])
      return send(200, 'text/html; charset=utf-8', mail.html, "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:");
    return send(200, 'text/html; charset=utf-8', mailPage(mail, Number(match[1])));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    smtpUrl: sink.url,
    sink,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await sink.close();
    },
  };
}
