// The customer administrator's setup page (`/setup/:token`, issue #14): our SP details first, the steps in
// their own IdP's console, the IdP details form, and where they stand. Everything a customer needs to go
// from the first mail to a passed test without writing to support.
import { type IdpVendor, idpVendorNames, idpVendors } from '../../contract/diagnosis.js';
import type { Stage } from '../../contract/vocabulary.js';
import type { SetupGuide } from '../../domain/idpVendors.js';
import type { TestReport } from '../../domain/testSignIns.js';
import { time } from './components.js';
import { html, type SafeHtml } from './html.js';
import { idpDetailsForms, type SentIdpForm } from './idpDetailsForms.js';
import type { PageOptions } from './layout.js';
import { testReportSection } from './testReport.js';

export const setupBrand = 'Single sign-on setup';

export interface SetupView {
  /** The page's own path (`/setup/<token>`): its forms post under it. */
  path: string;
  customerName: string;
  stage: Stage;
  expiresAt: Date;
  sp: { entityId: string; acsUrl: string; metadataUrl: string };
  /** The IdP side once given (intake), with the IdP detected from it. */
  idp: { entityId: string; ssoUrl: string; detected: IdpVendor } | null;
  /** The guide shown: the one picked (`?idp=`), else the detected IdP's, else the generic one. */
  guide: SetupGuide;
  /** The newest test sign-in's report, if any. */
  lastTest: TestReport | null;
  sent?: SentIdpForm;
  status?: number;
  notice?: string;
}

function testSection(view: SetupView): SafeHtml {
  if (!view.idp) return html``;
  return html`<section aria-labelledby="h-test"><h2 id="h-test">4. Test the sign-in</h2>
<p>Sign in once through your IdP as a user who should have access. Nobody is signed in by the test: we check everything your IdP sends and say exactly what to change.</p>
<form method="post" action="${view.path}/test" id="test"><button type="submit">Start a test sign-in</button></form>
${view.lastTest ? testReportSection(view.lastTest, 3) : html`<p class="muted">No test yet.</p>`}
</section>`;
}

function spDetails(view: SetupView): SafeHtml {
  return html`<section aria-labelledby="h-sp"><h2 id="h-sp">1. Our details for your IdP</h2>
<p>Create a SAML 2.0 application for the console in your identity provider with these values. Your IdP may ask for them before it gives you its own metadata.</p>
<dl class="facts" id="sp-details">
<dt>SP entity ID (audience, identifier)</dt><dd><code data-sp="entityId">${view.sp.entityId}</code></dd>
<dt>ACS URL (reply URL, single sign-on URL)</dt><dd><code data-sp="acsUrl">${view.sp.acsUrl}</code></dd>
<dt>SP metadata</dt><dd><a href="${view.sp.metadataUrl}" download>${view.sp.metadataUrl}</a></dd>
</dl></section>`;
}

function vendorPicker(view: SetupView): SafeHtml {
  const links = idpVendors.map((vendor) => {
    const current = vendor === view.guide.vendor;
    return html`<li><a href="${view.path}?idp=${vendor}#h-guide"${current ? html` aria-current="true" class="current"` : ''}>${idpVendorNames[vendor]}</a></li>`;
  });
  return html`<nav aria-label="Choose your IdP"><ul class="pills">${links}</ul></nav>`;
}

function guideSteps(guide: SetupGuide): SafeHtml {
  const steps = guide.steps.map(
    (step) =>
      html`<li><strong>${step.title}</strong>${
        step.fields.length > 0 &&
        html`<dl class="facts">${step.fields.map((f) => html`<dt>${f.label}</dt><dd><code>${f.value}</code></dd>`)}</dl>`
      }${step.note ? html`<p class="muted">${step.note}</p>` : ''}</li>`,
  );
  return html`<p>${guide.intro}</p><ol class="guide" data-guide="${guide.vendor}">${steps}</ol>`;
}

function idpSection(view: SetupView): SafeHtml {
  if (view.idp) {
    return html`<section aria-labelledby="h-idp"><h2 id="h-idp">3. Your IdP’s details</h2>
<p data-idp-received>We have your IdP’s details${view.idp.detected !== 'other' ? html` (it is <strong data-detected="${view.idp.detected}">${idpVendorNames[view.idp.detected]}</strong>)` : ''}:</p>
<dl class="facts"><dt>IdP entity ID</dt><dd><code>${view.idp.entityId}</code></dd><dt>SSO URL</dt><dd><code>${view.idp.ssoUrl}</code></dd></dl>
<p class="muted">To change them now, contact your support contact with the new values.</p></section>`;
  }
  if (view.stage !== 'config_intake')
    return html`<section aria-labelledby="h-idp"><h2 id="h-idp">3. Your IdP’s details</h2><p>This onboarding takes no IdP details now.</p></section>`;
  return html`<section aria-labelledby="h-idp"><h2 id="h-idp">3. Your IdP’s details</h2>
<p>Once the application exists in your IdP, give us its details in one of three ways. Every problem is shown at once, in your IdP’s words where we know them.</p>
${idpDetailsForms(`${view.path}/idp-config`, view.sent, { idp: 'your IdP' })}</section>`;
}

export function setupPage(view: SetupView): PageOptions {
  return {
    title: `Set up single sign-on · ${view.customerName}`,
    brand: setupBrand,
    status: view.status,
    body: html`<h1>Set up single sign-on for ${view.customerName}</h1>
${view.notice ? html`<p class="notice ok" role="status">${view.notice}</p>` : ''}
<p class="muted">This page is yours alone: anyone with its link can give us your IdP’s details, so do not forward it. It works until ${time(view.expiresAt)} or until single sign-on is active.</p>
${spDetails(view)}
<section aria-labelledby="h-guide"><h2 id="h-guide">2. Step by step in ${view.guide.name}</h2>
${vendorPicker(view)}
${guideSteps(view.guide)}
</section>
${idpSection(view)}
${testSection(view)}`,
  };
}
