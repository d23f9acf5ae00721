// POST /api/onboardings/:id/idp-config: the customer's IdP details as a metadata document, a metadata
// URL or fields, every problem of them in one answer.
import { z } from 'zod';
import { submitIdpConfigFor } from '../../domain/onboardingCommands.js';
import { type ApiRoute, errorAnswer, invalidRequest } from '../apiRoute.js';
import type { ApiDeps } from '../deps.js';
import { idpSubmissionFromApiRequest } from '../onboardingRequests.js';
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
      const submission = await idpSubmissionFromApiRequest(req, { allowPrivateAddresses: config.allowPrivateIdpUrls, now: clock.now() });
      res.json(await submitIdpConfigFor(database.db, await client(), onboardingParams.shape.id.parse(req.params.id), submission));
    },
  };
}
