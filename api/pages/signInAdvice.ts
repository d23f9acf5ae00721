import { type LoginRefusalCode, loginRefusals } from '../../domain/saml/refusal.js';

/** What the person can do now, and what to pass on to whoever runs their company's identity provider. */
export interface SignInAdvice {
  you: string;
  admin: string;
}

const startAgain = 'Go back to the sign-in page and start again. Do not use the back button or a bookmark of the identity provider page.';
const sendToSupport = 'Send the console support team the reason code and trace ID below, so they can find this sign-in in their logs.';

const accountNotReady: SignInAdvice = {
  you: 'Your console account is not set up for single sign-on through this identity provider yet.',
  admin:
    'Ask them to check with the console support team that your email address is included in the single sign-on rollout, and that the identity provider sends the same email address as your console account.',
};
const idpSetting = (setting: string): SignInAdvice => ({
  you: 'This is a setting of your company’s identity provider; you cannot fix it yourself.',
  admin: `${setting} ${sendToSupport}`,
});
const retry = (admin: string): SignInAdvice => ({ you: startAgain, admin });
const malformed = idpSetting('Your identity provider sent a response this service cannot accept.');

// Partial, with a general fallback, so a reason code added to refusal.ts still gets a useful page.
const byRefusal: Partial<Record<LoginRefusalCode, SignInAdvice>> = {
  unknown_connection: {
    you: 'Start from the console sign-in page with your work email instead of this link.',
    admin: `The sign-in link or the Assertion Consumer Service URL configured in the identity provider is not the one support sent. ${sendToSupport}`,
  },
  connection_disabled: {
    you: 'Single sign-on is switched off for your company at the moment. Sign in with your password if you have one.',
    admin: 'Ask the console support team why single sign-on was switched off for your company.',
  },
  missing_saml_response: retry(`If it keeps happening, ${sendToSupport.toLowerCase()}`),
  response_too_large: idpSetting('The SAML response is too large; send fewer attributes to this application.'),
  malformed_base64: malformed,
  unsupported_encoding: malformed,
  doctype_forbidden: malformed,
  malformed_xml: malformed,
  not_a_response: malformed,
  no_assertion: malformed,
  multiple_assertions: malformed,
  assertion_misplaced: malformed,
  invalid_response: malformed,
  encrypted_assertion_unsupported: idpSetting('Turn off assertion encryption for this application in the identity provider.'),
  response_not_signed: idpSetting('Configure the identity provider to sign the whole SAML response, not only the assertion.'),
  weak_algorithm: idpSetting('Configure the identity provider to sign with RSA-SHA256 (or stronger) instead of SHA-1.'),
  invalid_signature: idpSetting(
    'The response was signed with a certificate the console does not have on file. If the signing certificate was changed, send the new one to the console support team.',
  ),
  no_valid_certificate: idpSetting(
    'Every identity provider signing certificate on file has expired or is not valid yet; send the current one to support.',
  ),
  unknown_in_response_to: retry('If it keeps happening, check that the identity provider answers sign-in requests within a few minutes.'),
  audience_mismatch: idpSetting('The SP entity ID (audience) configured in the identity provider must be exactly the one support sent.'),
  destination_mismatch: idpSetting(
    'The Assertion Consumer Service URL (Security Token Consumer URL) configured in the identity provider must be exactly the one support sent.',
  ),
  recipient_mismatch: idpSetting(
    'The Assertion Consumer Service URL (Security Token Consumer URL) configured in the identity provider must be exactly the one support sent.',
  ),
  issuer_mismatch: idpSetting('The identity provider’s entity ID is not the one the console has on file.'),
  status_not_success: {
    you: 'Your identity provider did not let you in. You may not be assigned to the console application there.',
    admin: 'Ask them to check that you are assigned to the console application in the identity provider, and to look at its sign-in log.',
  },
  not_bearer: idpSetting('The identity provider must use bearer subject confirmation for this application.'),
  assertion_expired: retry('If it keeps happening, check the clock of the identity provider server: it may be behind.'),
  assertion_not_yet_valid: retry('If it keeps happening, check the clock of the identity provider server: it may be ahead.'),
  assertion_replayed: retry('Nothing needs to change unless this happens without the back button or a page reload.'),
  nameid_format_unsupported: idpSetting('The identity provider must send the user’s email as the NameID, in the emailAddress format.'),
  email_missing: idpSetting('The identity provider must send the user’s email address (as the NameID or the agreed attribute).'),
  email_ambiguous: idpSetting('The identity provider must send exactly one email address for the user.'),
  email_invalid: idpSetting('The identity provider sent an email address that is not valid for this user.'),
  user_not_found: accountNotReady,
  sso_not_enabled: accountNotReady,
  wrong_connection: {
    you: 'Your console account signs in through a different identity provider.',
    admin: `Ask them to check with the console support team which single sign-on connection your account belongs to. ${sendToSupport}`,
  },
};

const other: Record<string, SignInAdvice> = {
  no_sso_for_domain: {
    you: 'Your email domain does not use single sign-on with the console. Sign in with your email and password instead.',
    admin: 'If your company expected single sign-on, ask the console support team about the onboarding.',
  },
  invalid_email: { you: 'Enter your full work email address, for example name@example.com.', admin: 'Nothing needs to change.' },
  rate_limited: {
    you: 'Too many sign-in attempts failed. Wait a while before trying again.',
    admin: 'If you did not make these attempts, tell your administrator: someone may be guessing your password.',
  },
};

/** Advice for the sign-in errors of the login error page; undefined for any other error. */
export function signInAdvice(code: string): SignInAdvice | undefined {
  if (Object.hasOwn(loginRefusals, code)) return byRefusal[code as LoginRefusalCode] ?? retry(sendToSupport);
  return Object.hasOwn(other, code) ? other[code] : undefined;
}
