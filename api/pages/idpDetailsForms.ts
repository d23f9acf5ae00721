// The three ways to give the IdP details (a metadata document, its URL, or the fields), as one block of
// forms that the support console's IdP page and the customer's setup page both show.
import { emptyForm, type FormState, field, formProblemSummary, selectField, textArea } from './forms.js';
import { html, type SafeHtml } from './html.js';

/** The three ways to give the IdP details, each its own form (`mode`), with the fields each has. */
export const idpModes = {
  metadata: { formId: 'idp-metadata', fields: ['metadataXml', 'emailAttribute', 'metadataFile'] },
  metadataUrl: { formId: 'idp-url', fields: ['metadataUrl', 'emailAttribute'] },
  fields: { formId: 'idp-fields', fields: ['entityId', 'ssoUrl', 'ssoBinding', 'certificate', 'logoutRedirectUrl', 'emailAttribute'] },
} as const;
export type IdpMode = keyof typeof idpModes;

/** The form that was sent, with what was typed and every problem; the other two are shown empty. */
export type SentIdpForm = { mode: IdpMode; state: FormState } | undefined;

/** The metadata file input, shaped like forms.ts's fields (a file input cannot be filled again, so it says so). */
function fileField(formId: string, state: FormState): SafeHtml {
  const id = `${formId}-metadataFile`;
  const problems = state.problems.filter((p) => p.field === 'metadataFile');
  return html`<div class="field${problems.length ? ' invalid' : ''}"><label for="${id}">Metadata file</label><span class="hint" id="${id}-hint">After a refusal, choose the file again.</span>${
    problems.length > 0 && html`<span class="field-error" id="${id}-error">${problems.map((p) => p.message).join(' ')}</span>`
  }<input type="file" id="${id}" name="metadataFile" accept=".xml,application/xml,text/xml,application/samlmetadata+xml" aria-describedby="${id}-hint${problems.length ? ` ${id}-error` : ''}"${problems.length > 0 && html` aria-invalid="true"`}></div>`;
}

const emailAttributeHint = 'Optional: the SAML attribute with the email address, when the NameID does not carry it.';

/** The three forms, posting to `action`; `words` names the IdP's parties for who reads the page. */
export function idpDetailsForms(action: string, sent: SentIdpForm, words: { idp: string } = { idp: 'the customer’s IdP' }): SafeHtml {
  const stateOf = (mode: IdpMode) => (sent?.mode === mode ? sent.state : emptyForm({ ssoBinding: 'redirect' }));
  const form = (mode: IdpMode, button: string, fields: (formId: string, state: FormState) => SafeHtml) => {
    const { formId } = idpModes[mode];
    const state = stateOf(mode);
    const enctype = mode === 'metadata' ? html` enctype="multipart/form-data"` : '';
    return html`${formProblemSummary(state, formId, idpModes[mode].fields)}<form method="post" action="${action}" id="${formId}"${enctype} novalidate>
<input type="hidden" name="mode" value="${mode}">${fields(formId, state)}
<button type="submit">${button}</button></form>`;
  };
  const emailAttribute = (formId: string, state: FormState) =>
    field({ formId, name: 'emailAttribute', label: 'Email attribute', state, maxLength: 256, hint: emailAttributeHint });
  return html`<section aria-labelledby="h-idp-metadata"><h2 id="h-idp-metadata">Upload or paste the metadata document</h2>
<p class="muted">The SAML metadata XML of ${words.idp}, at most 1 MB: choose the file, or paste all of it below. A chosen file is used before pasted text.</p>
${form(
  'metadata',
  'Submit the metadata',
  (formId, state) => html`${fileField(formId, state)}
${textArea({ formId, name: 'metadataXml', label: 'Or paste the metadata XML', state, rows: 10 })}${emailAttribute(formId, state)}`,
)}
</section>
<section aria-labelledby="h-idp-url"><h2 id="h-idp-url">Or give the metadata URL</h2>
<p class="muted">The service fetches it now, and again later to pick up new certificates.</p>
${form('metadataUrl', 'Fetch the metadata', (formId, state) => html`${field({ formId, name: 'metadataUrl', label: 'Metadata URL', state, maxLength: 2048 })}${emailAttribute(formId, state)}`)}
</section>
<section aria-labelledby="h-idp-fields"><h2 id="h-idp-fields">Or enter the fields</h2>
${form(
  'fields',
  'Submit the fields',
  (formId, state) => html`${field({ formId, name: 'entityId', label: 'IdP entity ID (issuer)', state, maxLength: 1024 })}
${field({ formId, name: 'ssoUrl', label: 'SSO URL', state, maxLength: 2048 })}
${selectField({
  formId,
  name: 'ssoBinding',
  label: 'SSO binding',
  state,
  options: [
    { value: 'redirect', label: 'HTTP-Redirect' },
    { value: 'post', label: 'HTTP-POST' },
  ],
})}
${textArea({ formId, name: 'certificate', label: 'Signing certificate (PEM)', state, rows: 8, hint: 'From -----BEGIN CERTIFICATE----- to -----END CERTIFICATE-----; paste several one after the other when the IdP has more than one.' })}
${field({ formId, name: 'logoutRedirectUrl', label: 'Logout redirect URL', state, maxLength: 2048, hint: 'Optional.' })}
${emailAttribute(formId, state)}`,
)}
</section>`;
}
