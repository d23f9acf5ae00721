// The diagnosis of a test sign-in, as the administrator sees it right after the IdP answered, and as the
// setup page shows the latest one: each check passed or failed with its fix in the IdP's words, and what
// the response held (what is signed, the algorithms, the IdP's clock, the NameID, the attributes, the email).
import { idpVendorNames } from '../../contract/diagnosis.js';
import type { TestReport } from '../../domain/testSignIns.js';
import { time } from './components.js';
import { html, type SafeHtml } from './html.js';
import type { PageOptions } from './layout.js';
import { setupBrand } from './setup.js';

const checkNames: Record<string, string> = {
  response_parsed: 'The response could be read',
  status_success: 'The IdP reports success',
  response_signed: 'The Response itself is signed',
  certificate_known: 'Signed with the certificate we have on file',
  signature_algorithm: 'SHA-256 or stronger',
  issuer_matches: 'The issuer is your IdP',
  destination_matches: 'Sent to our ACS URL',
  audience_matches: 'Meant for us (audience)',
  recipient_matches: 'Recipient is our ACS URL',
  in_response_to: 'Answers this test sign-in',
  time_window: 'Clocks agree',
  nameid_format: 'NameID format',
  email_found: 'An email address is sent',
  user_on_file: 'That email is a user here',
};

const signedWords = {
  response: 'the Response only',
  assertion: 'the assertion only',
  both: 'the Response and the assertion',
  none: 'nothing',
};

function offset(ms: number | null): string {
  if (ms === null) return 'unknown';
  const seconds = Math.round(ms / 1000);
  if (seconds === 0) return 'in step with ours';
  return `${Math.abs(seconds)} s ${seconds > 0 ? 'ahead of' : 'behind'} ours`;
}

/** The report as a section of a page. */
export function testReportSection(report: TestReport, headingLevel: 2 | 3 = 2): SafeHtml {
  const h = (text: SafeHtml | string) => (headingLevel === 2 ? html`<h2 id="h-report">${text}</h2>` : html`<h3 id="h-report">${text}</h3>`);
  const failed = report.checks.filter((c) => !c.passed);
  const rows = report.checks.map(
    (c) =>
      html`<li class="check ${c.passed ? 'ok' : 'bad'}" data-check="${c.code}" data-passed="${String(c.passed)}"><strong>${c.passed ? '✓' : '✗'} ${checkNames[c.code] ?? c.code}</strong> <span class="muted">${c.detail}</span>${
        c.fix ? html`<p class="fix" data-fix="${c.code}"><strong>What to change:</strong> ${c.fix}</p>` : ''
      }</li>`,
  );
  const attributes = Object.entries(report.attributes);
  return html`<section aria-labelledby="h-report" data-test-report data-passed="${String(report.passed)}">
${h(report.passed ? 'The test sign-in passed' : `The test sign-in found ${failed.length} problem${failed.length === 1 ? '' : 's'}`)}
<p>${time(new Date(report.at))} · IdP: <strong data-vendor="${report.vendor}">${idpVendorNames[report.vendor]}</strong></p>
<ul class="checks">${rows}</ul>
<h${headingLevel + 1}>What your IdP sent</h${headingLevel + 1}>
<dl class="facts">
<dt>Signed</dt><dd data-signed="${report.signed}">${signedWords[report.signed]}</dd>
<dt>Algorithms</dt><dd>${[...report.signatureAlgorithms, ...report.digestAlgorithms].join(', ') || 'none'}</dd>
<dt>Issuer</dt><dd><code>${report.issuer ?? '(none)'}</code></dd>
<dt>IdP clock</dt><dd data-clock-offset-ms="${String(report.clockOffsetMs ?? '')}">${offset(report.clockOffsetMs)}</dd>
<dt>NameID</dt><dd>${report.nameId ? html`<code>${report.nameId.value}</code> <span class="muted">${report.nameId.format ?? 'no format'}</span>` : '(none)'}</dd>
<dt>Email found</dt><dd data-email>${report.email ?? '(none)'}${report.email ? (report.emailMatchesUser ? ' · a user here' : ' · not a user here') : ''}</dd>
<dt>Attributes</dt><dd>${
    attributes.length === 0
      ? '(none)'
      : html`<ul>${attributes.map(([name, values]) => html`<li><code>${name}</code>: ${values.join(', ')}</li>`)}</ul>`
  }</dd>
</dl></section>`;
}

/** The page the ACS answers a test sign-in with: no session was made. */
export function testReportPage(report: TestReport, customerName: string): PageOptions {
  return {
    title: `Test sign-in · ${customerName}`,
    brand: setupBrand,
    body: html`<h1>Test sign-in for ${customerName}</h1>
<p class="muted">This was a test: nobody was signed in. Change what is listed below in your IdP, then start another test from your setup page.</p>
${testReportSection(report)}`,
  };
}
