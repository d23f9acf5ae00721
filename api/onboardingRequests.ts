// What the support API and the support console both make of a request to start an onboarding or to give
// its IdP details: the domain's input (domain/onboardingCommands.ts takes it from there), or every problem
// of it at once. One translation, so a form and a JSON body are refused for the same reasons.

import type { Request } from 'express';
import type { z } from 'zod';
import type { IdpConfigSubmission, Problem } from '../contract/onboarding.js';
import { validateIdpConfig } from '../domain/idpConfig/index.js';
import type { StartContext, StartOnboardingInput } from '../domain/onboardingCommands.js';
import { invalidIdpConfig } from '../domain/onboardings.js';
import { AppError } from '../lib/errors.js';
import { controlCharacterIn, refuseControlCharacters } from '../lib/text.js';
import type { ApiDeps } from './deps.js';
import { type createOnboardingBody, idpConfigFieldsBody, idpConfigQuery, idpConfigUrlBody, idpMetadataTypes } from './schemas.js';

/** The setup link's secret, the SP endpoints' base and the time, for `startOnboarding`. */
export const startContext = (deps: Pick<ApiDeps, 'approvalSecret' | 'config' | 'clock'>): StartContext => ({
  secret: deps.approvalSecret,
  publicBaseUrl: deps.config.publicBaseUrl,
  now: deps.clock.now(),
});

export function startOnboardingInput(body: z.output<typeof createOnboardingBody>): StartOnboardingInput {
  return {
    customerName: body.customerName,
    customerId: body.customerId,
    adminEmail: body.adminEmail,
    emailDomains: body.emailDomains,
    options: {
      reminderEveryMs: body.options.reminderEvery,
      approvalTimeoutMs: body.options.approvalTimeout,
      notifyUsers: body.options.notifyUsers,
      batchSize: body.options.batchSize,
    },
  };
}

/** A schema's refusal as `invalid_idp_config` problems, each naming its field. */
export const idpSchemaProblems = (error: z.ZodError): Problem[] =>
  error.issues.map((issue) => ({
    field: issue.path.join('.') || 'body',
    code: 'invalid_field',
    message: `${issue.path.join('.') || 'the body'}: ${issue.message}`,
  }));

/** A metadata document as sent (a request body, a pasted form field): empty or with control characters is a 400. */
export function idpMetadataSubmission(xml: unknown, query: unknown): IdpConfigSubmission {
  if (typeof xml !== 'string' || xml.trim() === '') throw new AppError('invalid_request', 400, 'the metadata document is empty');
  // XML allows tab and line breaks among the C0 controls, nothing else: free text's rule.
  refuseControlCharacters(xml, 'the metadata document');
  return { kind: 'metadata', xml, ...idpConfigQuery.parse(query) };
}

export function idpMetadataUrlSubmission(body: unknown): IdpConfigSubmission {
  const parsed = idpConfigUrlBody.safeParse(body);
  if (!parsed.success) throw invalidIdpConfig(idpSchemaProblems(parsed.error));
  return { kind: 'metadataUrl', url: parsed.data.metadataUrl, emailAttribute: parsed.data.emailAttribute };
}

/**
 * The fields one by one. A body the schema refuses still gets every problem at once: the schema's (types,
 * lengths, unknown fields, control characters) and, for the fields that are text, what the IdP validation
 * finds in them (an ftp:// SSO URL, a certificate that is not one), in one 422 invalid_idp_config.
 */
export async function idpFieldsSubmission(
  body: unknown,
  options: { allowPrivateAddresses: boolean; now: Date },
): Promise<IdpConfigSubmission> {
  const fields = idpConfigFieldsBody.safeParse(body ?? {});
  if (fields.success) return { kind: 'fields', ...fields.data };
  const raw = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
  const text = (value: unknown) => (typeof value === 'string' && controlCharacterIn(value, true) === undefined ? value : undefined);
  const refusedByTheSchema = idpSchemaProblems(fields.error);
  const refused = new Set(refusedByTheSchema.map((p) => p.field.split('.')[0]));
  const checked = await validateIdpConfig(
    {
      kind: 'fields',
      entityId: text(raw.entityId) ?? '',
      ssoUrl: text(raw.ssoUrl) ?? '',
      ssoBinding: raw.ssoBinding === 'post' ? 'post' : 'redirect',
      certificates: Array.isArray(raw.certificates) ? raw.certificates.map(text).filter((c): c is string => c !== undefined) : [],
      logoutRedirectUrl: text(raw.logoutRedirectUrl),
    },
    options,
  );
  // A field the schema refused is named once, by the schema.
  const found = checked.ok ? [] : checked.problems.filter((p) => !refused.has(p.field.split(/[.[]/)[0]));
  throw invalidIdpConfig([...refusedByTheSchema, ...found]);
}

/**
 * The IdP details of a support API request (`POST /api/onboardings/:id/idp-config`) or the setup link's
 * (`POST /setup/:token/idp-config`): a metadata document as the body (`emailAttribute` in the query), JSON
 * naming a metadata URL, or JSON with the fields.
 */
export async function idpSubmissionFromApiRequest(
  req: Request,
  options: { allowPrivateAddresses: boolean; now: Date },
): Promise<IdpConfigSubmission> {
  if (req.is(idpMetadataTypes)) return idpMetadataSubmission(req.body, req.query);
  if (req.body && typeof req.body === 'object' && 'metadataUrl' in req.body) return idpMetadataUrlSubmission(req.body);
  return await idpFieldsSubmission(req.body, options);
}
