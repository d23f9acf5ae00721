import { html, safeHref } from './html.js';
import type { PageOptions } from './layout.js';

// The HTTP-POST binding (SAML Bindings §3.5.4): the browser posts the AuthnRequest to the IdP. Sent by
// sendPage, so it carries every page's headers; its one script is allowed by hash, and without script
// the button does it.
const autoPost = "document.getElementById('saml-post').submit();";

export function samlPostPage(ssoUrl: string, fields: Record<string, unknown>): PageOptions {
  const hidden = Object.entries(fields)
    .filter(([, value]) => value !== undefined && value !== null && value !== '')
    .map(([name, value]) => html`<input type="hidden" name="${name}" value="${String(value)}">`);
  return {
    title: 'Signing in',
    script: autoPost,
    body: html`<h1>Taking you to your identity provider</h1>
<form id="saml-post" method="post" action="${safeHref(ssoUrl)}">${hidden}
<p>If nothing happens, continue by the button.</p>
<button type="submit">Continue</button>
</form>`,
  };
}
