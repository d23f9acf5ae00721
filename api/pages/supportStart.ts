import { emptyForm, type FormState, field, formProblemSummary, selectField, textArea } from './forms.js';
import { html } from './html.js';
import type { PageOptions } from './layout.js';
import { supportBrand, supportNav } from './supportDashboard.js';

export const startFormId = 'start';

/** The start form's fields, as the console names them; the labels are those the page and its problems use. */
export const startFields = {
  customerName: 'Customer name',
  customerId: 'CustomerId',
  adminEmail: 'Administrator’s email',
  emailDomains: 'Email domains',
  reminderEvery: 'Remind the administrator every',
  approvalTimeout: 'Escalate an undecided approval after',
  batchSize: 'Users per batch',
  notifyUsers: 'Mail each user before SSO is switched on',
} as const;
export type StartField = keyof typeof startFields;

/** What the form holds before anything is typed: the API's defaults, shown so support sees what it gets. */
export const blankStartForm = (): FormState =>
  emptyForm({ reminderEvery: 'P1D', approvalTimeout: 'P7D', batchSize: '500', notifyUsers: 'yes' });

export function supportStartPage(state: FormState, status = 200): PageOptions {
  const formId = startFormId;
  const f = (name: StartField, extra: Partial<Parameters<typeof field>[0]> = {}) =>
    field({ formId, name, label: startFields[name], state, ...extra });
  return {
    title: 'Start an onboarding',
    brand: supportBrand,
    nav: supportNav,
    status,
    body: html`<p><a href="/support">← Onboardings</a></p>
<h1>Start an onboarding</h1>
<p>The onboarding starts waiting for the customer’s IdP details; you can enter them on its page next.</p>
${formProblemSummary(state, formId, Object.keys(startFields))}
<form method="post" action="/support/onboardings/new" id="${formId}" novalidate>
${f('customerName', { required: true, maxLength: 200 })}
${f('customerId', { maxLength: 100, hint: 'Optional: the customer’s ID in your systems (letters, digits, dots, dashes, underscores). Made from the name when empty.' })}
${f('adminEmail', { type: 'email', required: true, maxLength: 254, hint: 'Receives the SP details and every approval link.' })}
${textArea({ formId, name: 'emailDomains', label: startFields.emailDomains, state, rows: 3, required: true, hint: 'The domains whose users move to SSO: one per line, or separated by commas.' })}
<fieldset><legend>Options</legend>
${f('reminderEvery', { hint: 'ISO 8601 duration, e.g. PT12H or P1D.', maxLength: 40 })}
${f('approvalTimeout', { hint: 'ISO 8601 duration, e.g. P7D.', maxLength: 40 })}
${f('batchSize', { maxLength: 5, hint: 'Users enabled or enforced at a time, 1 to 10000.' })}
${selectField({
  formId,
  name: 'notifyUsers',
  label: startFields.notifyUsers,
  state,
  options: [
    { value: 'yes', label: 'Yes' },
    { value: 'no', label: 'No' },
  ],
})}
</fieldset>
<button type="submit">Start the onboarding</button>
</form>`,
  };
}
