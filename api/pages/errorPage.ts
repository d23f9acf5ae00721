import { time } from './components.js';
import { html } from './html.js';
import type { PageOptions } from './layout.js';
import { signInAdvice } from './signInAdvice.js';

export interface ShownError {
  code: string;
  httpStatus: number;
  message: string;
}

const linkProblems = new Set(['invalid_link', 'link_used', 'link_expired', 'link_superseded', 'link_stale']);

/** What the error middleware renders for browsers: the login error page, or a plain one for everything else. */
export function errorPage(error: ShownError, traceId: string, at: Date): PageOptions {
  const reference = html`<dl class="facts">
<dt>Reason code</dt><dd><code data-reason-code>${error.code}</code></dd>
<dt>Trace ID</dt><dd><code data-trace-id>${traceId}</code></dd>
<dt>Time</dt><dd>${time(at)}</dd>
</dl>`;
  const advice = signInAdvice(error.code);
  if (advice) {
    return {
      title: 'Sign-in failed',
      status: error.httpStatus,
      body: html`<h1>We could not sign you in</h1>
<div class="alert error" role="alert"><p>${error.message}</p></div>
<h2>What you can do</h2><p>${advice.you}</p>
<h2>What to tell your administrator</h2><p>${advice.admin}</p>
<p>Give them these details; they identify this attempt exactly:</p>${reference}
<p><a class="button" href="/login">Back to sign in</a></p>`,
    };
  }
  const heading = linkProblems.has(error.code)
    ? 'This link cannot be used'
    : error.httpStatus === 404
      ? 'Not found'
      : error.httpStatus >= 500
        ? 'Something went wrong on our side'
        : 'That did not work';
  return {
    title: heading,
    status: error.httpStatus,
    body: html`<h1>${heading}</h1>
<div class="alert error" role="alert"><p>${error.message}</p></div>
${error.httpStatus >= 500 && html`<p>Please try again in a few minutes.</p>`}
<p class="muted">If you contact support, include these details:</p>${reference}`,
  };
}
