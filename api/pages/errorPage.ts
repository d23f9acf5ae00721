import { time } from './components.js';
import { html } from './html.js';
import type { PageOptions } from './layout.js';
import { signInAdvice } from './signInAdvice.js';
import { supportBrand, supportNav } from './supportDashboard.js';

export interface ShownError {
  code: string;
  httpStatus: number;
  message: string;
}

const linkProblems = new Set(['invalid_link', 'link_used', 'link_expired', 'link_superseded', 'link_stale']);

/**
 * What the error middleware renders for browsers: the login error page, a plain one for everything else,
 * and under /support the console's own (its brand and top bar, a way back), so support never lands on
 * a page that looks like the end users' and leaves them without the console's navigation.
 */
export function errorPage(error: ShownError, traceId: string, at: Date, options: { support?: boolean } = {}): PageOptions {
  const reference = html`<dl class="facts">
<dt>Reason code</dt><dd><code data-reason-code>${error.code}</code></dd>
<dt>Trace ID</dt><dd><code data-trace-id>${traceId}</code></dd>
<dt>Time</dt><dd>${time(at)}</dd>
</dl>`;
  if (options.support) return supportErrorPage(error, reference);
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

const supportAdvice: Record<string, string> = {
  payload_too_large: 'Go back and send less: a metadata document or a list of at most the size above, or give the metadata URL instead.',
  temporal_unavailable: 'The workflows’ server is not answering. Nothing was changed; try again in a minute.',
  database_unavailable: 'The database did not answer. Nothing was changed; try again in a minute.',
  cross_site_request: 'Open the console page again and send the form from there.',
};

function supportErrorPage(error: ShownError, reference: ReturnType<typeof html>): PageOptions {
  const heading =
    error.httpStatus === 404
      ? 'Not found in the support console'
      : error.httpStatus === 413
        ? 'That form was too large'
        : error.httpStatus >= 500
          ? 'The console could not do that'
          : 'The console could not use that request';
  const advice =
    supportAdvice[error.code] ??
    (error.httpStatus >= 500
      ? 'Try again shortly; if it keeps failing, give the details below to the team that runs the service.'
      : undefined);
  return {
    title: heading,
    status: error.httpStatus,
    brand: supportBrand,
    nav: supportNav,
    body: html`<h1>${heading}</h1>
<div class="alert error" role="alert"><p>${error.message}</p></div>
${advice && html`<p>${advice}</p>`}
${reference}
<p><a class="button" href="/support">Back to the onboardings</a></p>`,
  };
}
