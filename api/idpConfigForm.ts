// The IdP details form as the support console and the customer's setup page both take it: a metadata file
// or pasted XML (multipart), a metadata URL, or the fields. One translation into the support API's
// submission (api/onboardingRequests.ts) and one refusal shape, so both pages refuse for what the API
// refuses, each problem beside the field it is about.
import type { Client } from '@temporalio/client';
import type { NextFunction, Request, Response } from 'express';
import express from 'express';
import { z } from 'zod';
import type { IdpConfigSubmission, Problem } from '../contract/onboarding.js';
import { submitIdpConfigFor } from '../domain/onboardingCommands.js';
import { AppError } from '../lib/errors.js';
import type { ApiDeps } from './deps.js';
import { type MultipartFile, multipartForm } from './multipartForm.js';
import { idpFieldsSubmission, idpMetadataSubmission, idpMetadataUrlSubmission } from './onboardingRequests.js';
import type { FormProblem, FormState } from './pages/forms.js';
import { type IdpMode, idpModes } from './pages/idpDetailsForms.js';

/** A form's fields as text: a repeated or missing field reads as empty (the form never repeats one). */
export const formValues = (body: unknown, names: readonly string[]): Record<string, string> => {
  const raw = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
  return Object.fromEntries(names.map((name) => [name, typeof raw[name] === 'string' ? raw[name] : '']));
};

/** Where an IdP problem is shown on the form that was sent: its own field, else the document or URL it came from. */
function idpProblemField(mode: IdpMode, problemField: string, uploaded: boolean): string {
  const name = problemField.split(/[.[]/)[0] ?? '';
  if (name === '' || name === 'emailAttribute') return name;
  if (mode === 'metadata') return uploaded ? 'metadataFile' : 'metadataXml';
  if (mode === 'metadataUrl') return 'metadataUrl';
  if (name === 'certificates') return 'certificate';
  return (idpModes.fields.fields as readonly string[]).includes(name) ? name : '';
}

/** The pasted certificates: each PEM block, or the whole text as one (bare base64) when it has none. */
const certificatesIn = (text: string): string[] => {
  const blocks = text.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g);
  return blocks ?? (text.trim() ? [text.trim()] : []);
};

/** The body parser of the IdP form: multipart for the metadata file, urlencoded otherwise; both bounded at 1 MB. */
export function idpFormParser() {
  const upload = multipartForm({ limit: '1mb', maxParts: 10 });
  const urlencoded = express.urlencoded({ extended: false, limit: '1mb', parameterLimit: 30 });
  return (req: Request, res: Response, next: NextFunction) => (req.is('multipart/form-data') ? upload : urlencoded)(req, res, next);
}

/** A refused IdP form: which of the three forms, as it was typed with every problem, and the status to answer. */
export interface IdpFormRefusal {
  mode: IdpMode;
  state: FormState;
  status: number;
}

/**
 * Submits the posted IdP form to the onboarding's workflow. Returns the refusal to show on the form, or
 * undefined when the IdP details were accepted; anything else (not found, Temporal away) is thrown.
 */
export async function submitIdpForm(
  req: Request,
  res: Response,
  deps: Pick<ApiDeps, 'database' | 'config' | 'clock'>,
  onboardingId: string,
  client: () => Promise<Client>,
): Promise<IdpFormRefusal | undefined> {
  const { database, config, clock } = deps;
  const raw = (req.body && typeof req.body === 'object' ? req.body : {}) as Record<string, unknown>;
  const mode = typeof raw.mode === 'string' && Object.hasOwn(idpModes, raw.mode) ? (raw.mode as IdpMode) : undefined;
  if (!mode) throw new AppError('invalid_request', 400, `mode: must be one of ${Object.keys(idpModes).join(', ')}`);
  const values = formValues(raw, idpModes[mode].fields);
  const file = mode === 'metadata' ? (res.locals.uploadedFiles as Record<string, MultipartFile> | undefined)?.metadataFile : undefined;
  const refuse = (problems: Problem[] | FormProblem[], status: number): IdpFormRefusal => ({
    mode,
    state: { values, problems: problems.map((p) => ({ ...p, field: idpProblemField(mode, p.field, file !== undefined) })) },
    status,
  });
  const optional = (value: string | undefined) => (value?.trim() ? value.trim() : undefined);
  try {
    let submission: IdpConfigSubmission;
    if (mode === 'metadata')
      submission = idpMetadataSubmission(file ? file.content : values.metadataXml, { emailAttribute: optional(values.emailAttribute) });
    else if (mode === 'metadataUrl')
      submission = idpMetadataUrlSubmission({ metadataUrl: values.metadataUrl, emailAttribute: optional(values.emailAttribute) });
    else
      submission = await idpFieldsSubmission(
        {
          entityId: values.entityId,
          ssoUrl: values.ssoUrl,
          ssoBinding: values.ssoBinding,
          certificates: certificatesIn(values.certificate ?? ''),
          logoutRedirectUrl: optional(values.logoutRedirectUrl),
          emailAttribute: optional(values.emailAttribute),
        },
        { allowPrivateAddresses: config.allowPrivateIdpUrls, now: clock.now() },
      );
    await submitIdpConfigFor(database.db, await client(), onboardingId, submission);
    return undefined;
  } catch (error) {
    if (error instanceof z.ZodError)
      return refuse(
        error.issues.map((i) => ({ field: String(i.path[0] ?? ''), code: 'invalid_field', message: `${i.path.join('.')}: ${i.message}` })),
        400,
      );
    if (!(error instanceof AppError) || error.httpStatus >= 500 || error.code === 'not_found') throw error;
    if (error.code === 'invalid_idp_config' && Array.isArray(error.details)) return refuse(error.details as Problem[], error.httpStatus);
    // Empty or unreadable metadata, a stage that takes no IdP details: said on the form that was sent.
    const field = error.code === 'invalid_request' ? idpModes[mode].fields[0] : '';
    return refuse([{ field, code: error.code, message: error.message }], error.httpStatus);
  }
}
