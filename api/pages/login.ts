import { html, safeHref } from './html.js';
import type { PageOptions } from './layout.js';

const alert = (message: string | undefined) => message && html`<div class="alert error" role="alert"><p>${message}</p></div>`;

/** Step one: the email alone decides whether the user goes to their IdP or gets a password field. */
export function emailStepPage(input: { email?: string; error?: string; status?: number } = {}): PageOptions {
  return {
    title: 'Sign in',
    status: input.status,
    body: html`<h1>Sign in to the console</h1>${alert(input.error)}
<form method="post" action="/login/continue">
<label for="email">Work email</label>
<input id="email" name="email" type="email" autocomplete="username" spellcheck="false" required autofocus value="${input.email ?? ''}" aria-describedby="email-hint">
<p class="hint" id="email-hint">If your company signs in with single sign-on, we take you to its sign-in page next.</p>
<button type="submit">Continue</button>
<p class="hint">Your company’s sign-in not working for you yet? <button type="submit" class="link" formaction="/login/password">Sign in with your password instead</button></p>
</form>`,
  };
}

/** Step two for everyone not sent to an IdP: the email stays, the password is asked for. */
export function passwordStepPage(input: { email: string; error?: string; status?: number }): PageOptions {
  return {
    title: 'Enter your password',
    status: input.status,
    body: html`<h1>Enter your password</h1>${alert(input.error)}
<form method="post" action="/login">
<label for="email">Work email</label>
<input id="email" name="email" type="email" autocomplete="username" readonly value="${input.email}">
<p class="hint"><a href="/login">Use a different email</a></p>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required autofocus>
<button type="submit">Sign in</button>
</form>`,
  };
}

/** An enforced user who tried a password: why it was refused, and the way in that works. */
export function ssoRequiredPage(input: { ssoUrl: string }): PageOptions {
  return {
    title: 'Sign in with single sign-on',
    status: 403,
    body: html`<h1>Your company requires single sign-on</h1>
<div class="alert warn" role="alert"><p>Your company requires you to sign in through its identity provider (SSO). Passwords no longer work for this account.</p></div>
<p>Continue to your company's sign-in page and sign in as you do for your other work applications.</p>
<p><a class="button" href="${safeHref(input.ssoUrl)}">Continue with single sign-on</a></p>
<p class="muted">Not your account? <a href="/login">Use a different email</a>.</p>`,
  };
}
