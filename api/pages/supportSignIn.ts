import { html } from './html.js';
import type { PageOptions } from './layout.js';

/** Asked for when support is not signed in; the token is the one `npm run dev` prints (SUPPORT_API_TOKEN). */
export function supportSignInPage(input: { next: string; error?: string; status?: number; disabled?: boolean }): PageOptions {
  if (input.disabled) {
    return {
      title: 'Support dashboard unavailable',
      brand: 'SSO onboarding support',
      status: 503,
      body: html`<h1>Support dashboard unavailable</h1><p>SUPPORT_API_TOKEN is not configured, so nobody can sign in here.</p>`,
    };
  }
  return {
    title: 'Support sign-in',
    brand: 'SSO onboarding support',
    status: input.status,
    body: html`<h1>Sign in to the support dashboard</h1>
${input.error && html`<div class="alert error" role="alert"><p>${input.error}</p></div>`}
<form method="post" action="/support/session">
<input type="hidden" name="next" value="${input.next}">
<label for="token">Support token</label>
<input id="token" name="token" type="password" autocomplete="off" spellcheck="false" required autofocus aria-describedby="token-hint">
<p class="hint" id="token-hint">The SUPPORT_API_TOKEN of this service. It is checked once; your browser then keeps a signed session for 8 hours, never the token.</p>
<button type="submit">Sign in</button>
</form>`,
  };
}
