import { createHash } from 'node:crypto';
import type { Response } from 'express';
import { html, SafeHtml } from './html.js';
import { stylesheet } from './stylesheet.js';

export interface PageOptions {
  title: string;
  body: SafeHtml;
  status?: number;
  /** Tables and dashboards get the wide column; forms the narrow one. */
  wide?: boolean;
  /** What the top bar calls this part of the service. */
  brand?: string;
  /** Extra items for the top bar (e.g. a sign-out button). */
  nav?: SafeHtml;
  /** Reload the page every so many seconds (support asked for it by a link; it can turn it off the same way). */
  refreshSeconds?: number;
  /** One inline script, a constant of this codebase allowed by its hash alone; only the auto-posting forms use it. */
  script?: string;
}

const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

/** The page shell, with the security headers every page shares; no framework and no other scripts. */
export function sendPage(res: Response, options: PageOptions): void {
  const scriptSrc = options.script ? `script-src ${sha256(options.script)}` : `script-src 'none'`;
  res
    .status(options.status ?? 200)
    .set({
      // form-action is left open: sign-in forms lead on to the customer's IdP, and logout posts to its Redirect URL.
      'Content-Security-Policy': `default-src 'none'; style-src 'self'; img-src 'self'; ${scriptSrc}; base-uri 'none'; frame-ancestors 'none'`,
      'Cache-Control': 'no-store',
      'Referrer-Policy': 'same-origin',
      'X-Content-Type-Options': 'nosniff',
    })
    .type('html')
    .send(
      html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${options.title} · Console</title>
<link rel="stylesheet" href="${stylesheet.url}">${options.refreshSeconds ? html`<meta http-equiv="refresh" content="${options.refreshSeconds}">` : ''}
</head><body><a class="skip" href="#main">Skip to content</a>
<header class="site"><span class="brand">${options.brand ?? 'Console'}</span>${options.nav ?? ''}</header>
<main id="main"${options.wide ? html` class="wide"` : ''}>${options.body}</main>${options.script ? html`<script>${new SafeHtml(options.script)}</script>` : ''}
</body></html>`.value,
    );
}
