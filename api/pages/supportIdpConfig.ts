import type { Stage } from '../../contract/vocabulary.js';
import { stageBadge } from './components.js';
import { html } from './html.js';
import { idpDetailsForms, type SentIdpForm } from './idpDetailsForms.js';
import type { PageOptions } from './layout.js';
import { supportBrand, supportNav } from './supportDashboard.js';

export interface IdpConfigView {
  id: string;
  customerName: string;
  stage: Stage;
  /** The form support sent, with what it typed and every problem; the other two are shown empty. */
  sent?: SentIdpForm;
  status?: number;
}

export function supportIdpConfigPage(view: IdpConfigView): PageOptions {
  const action = `/support/onboardings/${encodeURIComponent(view.id)}/idp-config`;
  return {
    title: `IdP details · ${view.customerName}`,
    brand: supportBrand,
    nav: supportNav,
    status: view.status,
    body: html`<p><a href="/support/onboardings/${encodeURIComponent(view.id)}">← ${view.customerName}</a></p>
<h1>IdP details for ${view.customerName}</h1>
<p>Stage: ${stageBadge(view.stage)}. Give the customer’s IdP configuration in one of three ways; every problem is shown at once.</p>
${idpDetailsForms(action, view.sent)}`,
  };
}
