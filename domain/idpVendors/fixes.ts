// The fix for a failed diagnosis check (issue #14, item 4): one sentence per check saying what is wrong,
// then where that IdP's console sets it right (fixWords.ts), then what we saw against what we expected.
import { type DiagnosisCheck, type IdpVendor, idpVendorNames } from '../../contract/diagnosis.js';
import { fixWords, type VendorFixWords } from './fixWords.js';
import { relyingPartyName } from './guideSteps.js';

export interface FixContext {
  spEntityId: string;
  acsUrl: string;
  observed?: string | null;
  expected?: string | null;
}

type FixText = (words: VendorFixWords, name: string, context: FixContext) => string;

/** A value from the response is shown, but never at a length that floods a page or a mail. */
const maxShownChars = 300;

const metadataForRotation = 'If you give us the metadata URL instead, a new certificate published there is picked up automatically.';

const fixTexts: Record<DiagnosisCheck, FixText> = {
  response_parsed: (_w, name, c) =>
    `We could not read a SAML Response from ${name}: it must be one Response with at most one assertion and no DTD, posted with the HTTP-POST binding to ${c.acsUrl}. Check nothing between ${name} and us rewrites it, and send your support contact the failing response (from a SAML tracer) if it persists.`,
  status_success: (w, name) => `${name} answered with an error instead of signing the user in. ${w.status}`,
  response_signed: (w, name) => `${name} did not sign the Response itself (only a signed Response is accepted). ${w.responseSigned}`,
  certificate_known: (w, name) =>
    `The Response is signed with a key we do not have on file for this connection: upload or refresh ${name}’s current signing certificate. ${w.certificate} ${metadataForRotation}`,
  signature_algorithm: (w, name) => `${name} signs with SHA-1 or another weak algorithm; we need SHA-256. ${w.algorithm}`,
  issuer_matches: (w, name) => `The Issuer in the response is not the ${name} entity ID we have on file. ${w.issuer}`,
  destination_matches: (w) => `The Response’s Destination is not our ACS URL. ${w.acsUrl}`,
  audience_matches: (w) => `The assertion’s Audience is not our entity ID. ${w.entityId}`,
  recipient_matches: (w) => `The assertion’s Recipient is not our ACS URL. ${w.acsUrl}`,
  in_response_to: (w) =>
    `The response does not answer the test sign-in we started: start the test from our page, not from ${w.appTile}, and finish it within 10 minutes.`,
  time_window: (w, name) =>
    `The response’s times (NotBefore, NotOnOrAfter, IssueInstant) are outside the allowed clock skew: check ${name}’s clock. ${w.clock}`,
  nameid_format: (w, name) => `${name} sent the NameID in another format than the one this connection asks for. ${w.nameId}`,
  email_found: (w) => `We found no email address in the NameID or the connection’s email attribute. ${w.email}`,
  user_on_file: (w, name) =>
    `The email ${name} sent is not a user here: check the user’s email in ${name} (${w.userEmail}) matches the one in our service, on one of the connection’s domains, or add the user here.`,
};

const unknownCheck: FixText = (_w, name) => `Compare the application’s SAML settings in ${name} with our setup guide.`;

function fill(text: string, context: FixContext): string {
  return text
    .replaceAll('{spEntityId}', context.spEntityId)
    .replaceAll('{acsUrl}', context.acsUrl)
    .replaceAll('{relyingPartyName}', relyingPartyName(context.spEntityId));
}

function shown(value: string | null | undefined): string | undefined {
  if (typeof value !== 'string' || value === '') return undefined;
  return value.length > maxShownChars ? `${value.slice(0, maxShownChars)}…` : value;
}

function evidence(context: FixContext): string {
  const observed = shown(context.observed);
  const expected = shown(context.expected);
  return [observed && ` We received: ${observed}.`, expected && ` We expect: ${expected}.`].filter(Boolean).join('');
}

/**
 * An `spn:<appId>` Audience is Entra naming the application by its ID: the app's Identifier (Entity ID) is
 * not our entity ID, whatever vendor the connection was recorded as.
 */
function entraApplicationIdAudience(context: FixContext): string {
  return fill(
    `The assertion’s Audience is ${shown(context.observed)}: Microsoft Entra ID names the application by its ID because its Identifier (Entity ID) is not our entity ID. ${fixWords.entra.entityId}`,
    context,
  );
}

/** The fix for one failed check, in that IdP's own words where known, generic otherwise; never empty. */
export function fixFor(vendor: IdpVendor, check: DiagnosisCheck, context: FixContext): string {
  if (check === 'audience_matches' && context.observed?.startsWith('spn:')) return entraApplicationIdAudience(context);
  const known: IdpVendor = Object.hasOwn(fixWords, vendor) ? vendor : 'other';
  const text = Object.hasOwn(fixTexts, check) ? fixTexts[check] : unknownCheck;
  return fill(text(fixWords[known], idpVendorNames[known], context), context) + evidence(context);
}
