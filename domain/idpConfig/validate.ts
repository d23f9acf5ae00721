// IdP configuration intake (PRODUCT.md, Onboarding step 1). The customer sends metadata XML, a metadata
// URL or plain fields; every problem is collected so one correction round fixes them all.
import type { IdpConfigSubmission, Problem } from '../../contract/onboarding.js';
import { checkCertificate, checkCertificateCount } from './certificates.js';
import { emailAttributePattern } from './edit.js';
import { checkEntityId, defaultMaxMetadataBytes, type IdpDetails, readMetadata } from './metadata.js';
import { fetchMetadataDocument, type MetadataFetchOptions } from './metadataFetch.js';
import { type Report, urlProblems } from './problems.js';
import { type GuardedUrl, guardUrl } from './urlGuard.js';

export interface ValidIdpConfig {
  entityId: string;
  ssoUrl: string;
  ssoBinding: 'redirect' | 'post';
  /** PEM, in document order, duplicates removed; several while the IdP rotates its signing key. */
  certificates: string[];
  logoutRedirectUrl: string | null;
  emailAttribute: string | null;
  /** The metadata URL the details were read from (absent in results recorded before it was kept). */
  metadataUrl?: string | null;
}

export interface IdpConfigOptions extends MetadataFetchOptions {
  now: Date;
}

/** The intake's verdict on one submission (the workflow's answer, with the saved connection, is IdpConfigResult). */
export type IdpConfigValidation =
  | { ok: true; config: ValidIdpConfig; warnings: Problem[] }
  | { ok: false; problems: Problem[]; warnings: Problem[] };

export async function validateIdpConfig(submission: IdpConfigSubmission, options: IdpConfigOptions): Promise<IdpConfigValidation> {
  const problems: Problem[] = [];
  const warnings: Problem[] = [];
  const problem = (field: string, code: string, message: string) => problems.push({ field, code, message });

  const details = await readSubmission(submission, options, problem);
  const [ssoUrlCheck, logoutUrlCheck] = await Promise.all([
    details.ssoUrl === undefined ? undefined : guardUrl(details.ssoUrl, options),
    details.logoutRedirectUrl === undefined ? undefined : guardUrl(details.logoutRedirectUrl, options),
  ]);
  const ssoUrl = details.ssoUrl && reportUrl(ssoUrlCheck, details.ssoUrl, 'ssoUrl', problem);
  const logoutRedirectUrl = details.logoutRedirectUrl && reportUrl(logoutUrlCheck, details.logoutRedirectUrl, 'logoutRedirectUrl', problem);
  const certificates = checkCertificateCount(details.certificates, problem)
    ? details.certificates.map((input, index) => checkCertificate(input, index, options.now, problems, warnings))
    : [];
  const emailAttribute = submission.emailAttribute;
  if (emailAttribute !== undefined && !emailAttributePattern.test(emailAttribute)) {
    problem('emailAttribute', 'email_attribute_invalid', 'emailAttribute must be 1 to 256 printable characters without spaces');
  }

  const { entityId, ssoBinding } = details;
  if (problems.length > 0) return { ok: false, problems, warnings };
  if (!entityId || !ssoUrl || !ssoBinding || certificates.length === 0) {
    throw new Error('validateIdpConfig: incomplete configuration reported no problem');
  }
  return {
    ok: true,
    config: {
      entityId,
      ssoUrl,
      ssoBinding,
      certificates: [...new Set(certificates.filter((pem) => pem !== undefined))],
      logoutRedirectUrl: logoutRedirectUrl ?? null,
      emailAttribute: emailAttribute ?? null,
      ...(submission.kind === 'metadataUrl' ? { metadataUrl: submission.url.trim() } : {}),
    },
    warnings,
  };
}

async function readSubmission(submission: IdpConfigSubmission, options: IdpConfigOptions, problem: Report): Promise<IdpDetails> {
  const maxBytes = options.maxMetadataBytes ?? defaultMaxMetadataBytes;
  switch (submission.kind) {
    case 'metadata':
      return readMetadata(submission.xml, maxBytes, problem);
    case 'metadataUrl': {
      const xml = await fetchMetadataDocument(submission.url, options, problem);
      return xml === undefined ? { certificates: [] } : readMetadata(xml, maxBytes, problem);
    }
    case 'fields': {
      const entityId = checkEntityId(submission.entityId, problem);
      if (submission.ssoBinding !== 'redirect' && submission.ssoBinding !== 'post') {
        problem('ssoBinding', 'unsupported_binding', 'ssoBinding must be "redirect" or "post"');
      }
      if (submission.ssoUrl.trim() === '') problem('ssoUrl', 'sso_url_missing', 'ssoUrl is required');
      if (submission.certificates.length === 0)
        problem('certificates', 'certificate_missing', 'at least one signing certificate is required');
      return {
        entityId,
        ssoUrl: submission.ssoUrl.trim() === '' ? undefined : submission.ssoUrl.trim(),
        ssoBinding: submission.ssoBinding,
        certificates: submission.certificates,
        logoutRedirectUrl: submission.logoutRedirectUrl,
      };
    }
  }
}

function reportUrl(checked: GuardedUrl | undefined, raw: string, field: 'ssoUrl' | 'logoutRedirectUrl', problem: Report) {
  if (checked?.ok) return raw.trim();
  for (const { fault, message } of checked?.findings ?? [])
    problem(field, urlProblems[field].code(fault), `${urlProblems[field].label} ${message}`);
  return undefined;
}
