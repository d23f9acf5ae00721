import { time } from './components.js';
import { html, safeHref } from './html.js';
import type { PageOptions } from './layout.js';

export interface ConsoleView {
  sid: string;
  email: string;
  authMethod: 'password' | 'sso';
  expiresAt: Date;
  connection: { id: string; customerName: string; idpEntityId: string; logoutRedirectUrl: string | null } | null;
}

/** The signed-in home: who you are and how you got in. */
export function consolePage(view: ConsoleView): PageOptions {
  const how =
    view.authMethod === 'sso'
      ? html`Single sign-on${view.connection ? html` through <strong>${view.connection.customerName}</strong>'s identity provider` : ''}`
      : html`Password`;
  return {
    title: 'Console',
    body: html`<h1>You are signed in</h1>
<dl class="facts">
<dt>Email</dt><dd>${view.email}</dd>
<dt>User ID</dt><dd><code>${view.sid}</code></dd>
<dt>Signed in with</dt><dd data-auth-method="${view.authMethod}">${how}</dd>
${view.connection && html`<dt>Identity provider</dt><dd><code>${view.connection.idpEntityId}</code></dd><dt>Connection</dt><dd><code>${view.connection.id}</code></dd>`}
<dt>Session ends</dt><dd>${time(view.expiresAt)}</dd>
</dl>
${view.connection?.logoutRedirectUrl && html`<p class="muted">Signing out ends your session here and takes you to your company's page. It does not sign you out of your identity provider.</p>`}
<form method="post" action="/logout"><button type="submit">Sign out</button></form>`,
  };
}

// The customer asked for a POST to their Redirect URL after logout (no Single Logout); without script the button does it.
const autoPost = "document.getElementById('after-logout').submit();";

export function signedOutPage(logoutRedirectUrl: string): PageOptions {
  return {
    title: 'Signed out',
    script: autoPost,
    body: html`<h1>You are signed out</h1>
<form id="after-logout" method="post" action="${safeHref(logoutRedirectUrl)}">
<p>Taking you to your company's page…</p>
<button type="submit">Continue</button>
</form>`,
  };
}
