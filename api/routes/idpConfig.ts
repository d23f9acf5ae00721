// POST /api/onboardings/:id/idp-config: the customer's IdP details as a metadata document, a metadata
// URL or fields, every problem of them in one answer.
import { z } from 'zod';
import type { IdpConfigSubmission, Problem } from '../../contract/onboarding.js';
import { validateIdpConfig } from '../../domain/idpConfig/index.js';
import { submitIdpConfigFor } from '../../domain/onboardingCommands.js';
import { invalidIdpConfig } from '../../domain/onboardings.js';
import { AppError } from '../../lib/errors.js';
import { controlCharacterIn, refuseControlCharacters } from '../../lib/text.js';
import { type ApiRoute, errorAnswer, invalidRequest } from '../apiRoute.js';
import type { ApiDeps } from '../deps.js';
import { idpConfigAcceptedResponse } from '../responses.js';
import { idpConfigFieldsBody, idpConfigQuery, idpConfigUrlBody, idpMetadataTypes } from '../schemas.js';
import { onboardingNotFound, onboardingParams, refused } from './onboardingShared.js';

/**
 * The JSON forms of `idp-config`: the route parses a body naming `metadataUrl` with the first, any other
 * with the second; both are strict, so a body matches at most one. Only the document uses this union.
 */
const idpConfigJsonBody = z
  .union([idpConfigUrlBody, idpConfigFieldsBody])
  .meta({ id: 'IdpConfigJsonRequest', description: 'A metadata URL, or the IdP details field by field' });

export function idpConfigRoute({ database, temporal, config, clock }: ApiDeps): ApiRoute {
  const client = async () => (await temporal()).client;
  /**
   * A body the schema refuses still gets every problem at once: the schema's (types, lengths, unknown
   * fields, control characters) and, for the fields that are text, what the IdP validation finds in
   * them (an ftp:// SSO URL, a certificate that is not one), in one 422 invalid_idp_config.
   */
  const schemaProblems = (error: z.ZodError): Problem[] =>
    error.issues.map((issue) => ({
      field: issue.path.join('.') || 'body',
      code: 'invalid_field',
      message: `${issue.path.join('.') || 'the body'}: ${issue.message}`,
    }));
  const everyFieldProblem = async (body: unknown, error: z.ZodError) => {
    const raw = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
    const text = (value: unknown) => (typeof value === 'string' && controlCharacterIn(value, true) === undefined ? value : undefined);
    const refusedByTheSchema = schemaProblems(error);
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
      { allowPrivateAddresses: config.allowPrivateIdpUrls, now: clock.now() },
    );
    // A field the schema refused is named once, by the schema.
    const found = checked.ok ? [] : checked.problems.filter((p) => !refused.has(p.field.split(/[.[]/)[0]));
    return invalidIdpConfig([...refusedByTheSchema, ...found]);
  };

  return {
    // An IdP metadata document as the body, or JSON naming a metadata URL or the fields one by one.
    method: 'post',
    path: '/onboardings/:id/idp-config',
    operationId: 'submitIdpConfig',
    tag: 'onboardings',
    summary: "Submit the customer's IdP configuration",
    description:
      'The IdP metadata document as the body (`emailAttribute` then goes in the query), or JSON naming a metadata URL, ' +
      'or JSON with the fields one by one. Every problem is reported at once.',
    params: onboardingParams,
    query: idpConfigQuery,
    textBody: {
      types: idpMetadataTypes,
      limit: '1mb',
      description: 'The SAML 2.0 metadata of the IdP (an EntityDescriptor), at most 1 MB',
    },
    body: idpConfigJsonBody,
    responses: {
      200: {
        description: 'Accepted: the connection (the SP details to send the customer) and any warnings',
        schema: idpConfigAcceptedResponse,
      },
      400: invalidRequest,
      404: onboardingNotFound,
      409: refused,
      422: errorAnswer(
        'invalid_idp_config: `details` lists every problem as {field, code, message}: a JSON body the schema refuses ' +
          '(code invalid_field) together with what the validation finds in its other fields',
      ),
    },
    async handler(req, res) {
      let submission: IdpConfigSubmission;
      if (req.is(idpMetadataTypes)) {
        if (typeof req.body !== 'string' || req.body.trim() === '')
          throw new AppError('invalid_request', 400, 'the metadata document is empty');
        // XML allows tab and line breaks among the C0 controls, nothing else: free text's rule.
        refuseControlCharacters(req.body, 'the metadata document');
        submission = { kind: 'metadata', xml: req.body, ...idpConfigQuery.parse(req.query) };
      } else if (req.body && typeof req.body === 'object' && 'metadataUrl' in req.body) {
        const body = idpConfigUrlBody.safeParse(req.body);
        if (!body.success) throw invalidIdpConfig(schemaProblems(body.error));
        submission = { kind: 'metadataUrl', url: body.data.metadataUrl, emailAttribute: body.data.emailAttribute };
      } else {
        const fields = idpConfigFieldsBody.safeParse(req.body ?? {});
        if (!fields.success) throw await everyFieldProblem(req.body, fields.error);
        submission = { kind: 'fields', ...fields.data };
      }
      res.json(await submitIdpConfigFor(database.db, await client(), onboardingParams.shape.id.parse(req.params.id), submission));
    },
  };
}
