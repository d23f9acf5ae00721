// What each route of the support API takes and answers, for the OpenAPI document (api/openapi.ts). The
// schemas are the ones the routes parse with; test/api/openapi.test.ts checks that every route mounted
// under /api is described here, so a new route without its description fails the tests.
import { z } from 'zod';
import type { ApiResponse, ApiRoute } from './openapi.js';
import {
  accountCreatedResponse,
  cancelledResponse,
  domainCheckResponse,
  domainsResponse,
  errorResponse,
  idpConfigAcceptedResponse,
  meResponse,
  migrationListPageResponse,
  migrationSchema,
  onboardingListResponse,
  onboardingResponse,
  onboardingStartedResponse,
  pilotResponse,
  userCreatedResponse,
  userResponse,
} from './responses.js';
import {
  cancelBody,
  createAccountBody,
  createOnboardingBody,
  createUserBody,
  domainOverrideBody,
  domainParam,
  idpConfigFieldsBody,
  idpConfigQuery,
  idpConfigUrlBody,
  idpMetadataTypes,
  migrationListBody,
  migrationListQuery,
  pilotUsersBody,
  releaseUserBody,
  setUserSsoBody,
  userSidSchema,
} from './schemas.js';

/**
 * The JSON forms of `idp-config`: the route parses a body naming `metadataUrl` with the first, any other
 * with the second; both are strict, so a body matches at most one. Only the document uses this union.
 */
export const idpConfigJsonBody = z
  .union([idpConfigUrlBody, idpConfigFieldsBody])
  .meta({ id: 'IdpConfigJsonRequest', description: 'A metadata URL, or the IdP details field by field' });

const error = (description: string): ApiResponse => ({ description, schema: errorResponse });
const invalidRequest = error(
  'invalid_request: the body, query or path failed validation; `details` lists every problem as {path, message}',
);
const onboardingNotFound = error('not_found: no onboarding with this ID');
const refused = error(
  'wrong_stage (or another refusal of the workflow, named by `code`): the onboarding is not at a stage that allows this',
);
const onboardingId = z.object({ id: z.string().meta({ description: 'Onboarding ID', example: 'ob_0123456789abcdef01234567' }) });
const userSid = z.object({ sid: userSidSchema });

/** Every route of the support API, plus the signed-in user's `/api/me` and this document itself. */
export const apiRoutes: ApiRoute[] = [
  {
    method: 'post',
    path: '/api/accounts',
    operationId: 'createAccount',
    tag: 'directory',
    summary: 'Create an account',
    body: createAccountBody,
    responses: { 201: { description: 'Created', schema: accountCreatedResponse }, 400: invalidRequest },
  },
  {
    method: 'post',
    path: '/api/users',
    operationId: 'createUser',
    tag: 'directory',
    summary: 'Create a user, optionally with a password and account memberships',
    body: createUserBody,
    responses: {
      201: { description: 'Created', schema: userCreatedResponse },
      400: invalidRequest,
      409: error('email_taken: a user with this email exists'),
      422: error('unknown_account: an account SID does not exist; `details.missing` names them'),
    },
  },
  {
    method: 'get',
    path: '/api/users/{sid}',
    operationId: 'getUser',
    tag: 'directory',
    summary: 'A user and their SSO state',
    params: userSid,
    responses: { 200: { description: 'The user', schema: userResponse }, 400: invalidRequest, 404: error('not_found: no such user') },
  },
  {
    method: 'put',
    path: '/api/users/{sid}/sso',
    operationId: 'setUserSso',
    tag: 'directory',
    summary: "Set a user's SSO state: break-glass and manual changes, audited",
    params: userSid,
    body: setUserSsoBody,
    responses: {
      200: { description: 'The user as changed', schema: userResponse },
      400: invalidRequest,
      404: error('not_found: no such user'),
      422: error('connection_required or unknown_connection: enabling or enforcing needs an existing connection'),
    },
  },
  {
    method: 'post',
    path: '/api/users/{sid}/release',
    operationId: 'releaseUser',
    tag: 'directory',
    summary: 'Free a user from their SSO connection (state none), so another onboarding may list them; audited',
    params: userSid,
    body: releaseUserBody,
    responses: {
      200: { description: 'The user as released', schema: userResponse },
      400: invalidRequest,
      404: error('not_found: no such user'),
    },
  },
  {
    method: 'post',
    path: '/api/onboardings',
    operationId: 'startOnboarding',
    tag: 'onboardings',
    summary: 'Start an onboarding',
    description: 'Starts its workflow in `config_intake`, waiting for the IdP configuration.',
    body: createOnboardingBody,
    responses: { 201: { description: 'Started', schema: onboardingStartedResponse }, 400: invalidRequest },
  },
  {
    method: 'get',
    path: '/api/onboardings',
    operationId: 'listOnboardings',
    tag: 'onboardings',
    summary: 'List onboardings, newest first',
    responses: { 200: { description: 'The newest 500 onboardings', schema: onboardingListResponse } },
  },
  {
    method: 'get',
    path: '/api/onboardings/{id}',
    operationId: 'getOnboarding',
    tag: 'onboardings',
    summary: 'One onboarding: stage, problems, pilot, migration list, progress, pending approvals and events',
    params: onboardingId,
    responses: { 200: { description: 'The onboarding', schema: onboardingResponse }, 404: onboardingNotFound },
  },
  {
    method: 'post',
    path: '/api/onboardings/{id}/idp-config',
    operationId: 'submitIdpConfig',
    tag: 'onboardings',
    summary: "Submit the customer's IdP configuration",
    description:
      'The IdP metadata document as the body (`emailAttribute` then goes in the query), or JSON naming a metadata URL, ' +
      'or JSON with the fields one by one. Every problem is reported at once.',
    params: onboardingId,
    query: idpConfigQuery,
    otherBodies: Object.fromEntries(
      idpMetadataTypes.map((type) => [
        type,
        { type: 'string', description: 'The SAML 2.0 metadata of the IdP (an EntityDescriptor), at most 1 MB' },
      ]),
    ),
    body: idpConfigJsonBody,
    responses: {
      200: {
        description: 'Accepted: the connection (the SP details to send the customer) and any warnings',
        schema: idpConfigAcceptedResponse,
      },
      400: invalidRequest,
      404: onboardingNotFound,
      409: refused,
      422: error(
        'invalid_idp_config: `details` lists every problem as {field, code, message}: a JSON body the schema refuses ' +
          '(code invalid_field) together with what the validation finds in its other fields',
      ),
    },
  },
  {
    method: 'post',
    path: '/api/onboardings/{id}/domains/verify',
    operationId: 'verifyDomains',
    tag: 'onboardings',
    summary: "Look up each unverified domain's TXT record now; once all are verified the connection goes active",
    params: onboardingId,
    responses: { 200: { description: 'What DNS answered for each domain', schema: domainCheckResponse }, 404: onboardingNotFound },
  },
  {
    method: 'post',
    path: '/api/onboardings/{id}/domains/{domain}/override',
    operationId: 'overrideDomainVerification',
    tag: 'onboardings',
    summary: "Mark a domain verified without DNS, with support's reason; audited",
    params: onboardingId.extend({ domain: domainParam }),
    body: domainOverrideBody,
    responses: {
      200: { description: "The onboarding's domains", schema: domainsResponse },
      400: invalidRequest,
      404: error('not_found: no such onboarding, or it does not hold the domain'),
    },
  },
  {
    method: 'post',
    path: '/api/onboardings/{id}/pilot-users',
    operationId: 'nominatePilotUsers',
    tag: 'onboardings',
    summary: 'Nominate pilot users; they are enabled for SSO at once',
    params: onboardingId,
    body: pilotUsersBody,
    responses: {
      200: { description: 'The pilot', schema: pilotResponse },
      400: invalidRequest,
      404: onboardingNotFound,
      409: error("domain_unverified: a domain's ownership is not verified yet; or wrong_stage"),
    },
  },
  {
    method: 'post',
    path: '/api/onboardings/{id}/pilot/confirm',
    operationId: 'confirmPilot',
    tag: 'onboardings',
    summary: "Support's confirmation of the pilot; the customer confirms by the mailed link",
    params: onboardingId,
    responses: {
      200: { description: 'The pilot', schema: pilotResponse },
      404: onboardingNotFound,
      409: error('wrong_stage, or pilot_not_started: nominate pilot users first'),
    },
  },
  {
    method: 'post',
    path: '/api/onboardings/{id}/migration-list',
    operationId: 'buildMigrationList',
    tag: 'onboardings',
    summary: 'Build the migration list; the customer reviews it by the mailed link',
    params: onboardingId,
    body: migrationListBody,
    responses: {
      202: { description: 'Built and waiting for the review (or, with send false, a draft to preview)', schema: migrationSchema },
      400: invalidRequest,
      404: onboardingNotFound,
      409: error("domain_unverified: a domain's ownership is not verified yet; or wrong_stage"),
      422: error(
        'domain_not_in_onboarding: a `domain` list names a domain this onboarding does not hold; empty_list: nobody is on the list, so it is not sent (details: the problems); or the list cannot be built from this source',
      ),
    },
  },
  {
    method: 'post',
    path: '/api/migration-lists/{listId}/send',
    operationId: 'sendMigrationList',
    tag: 'onboardings',
    summary: 'Send a draft list (built with send false) to the customer for review',
    params: z.object({ listId: z.string().meta({ description: 'Migration list ID', example: 'ml_0123456789abcdef01234567' }) }),
    responses: {
      202: { description: 'Sent: the draft is the version under review', schema: migrationSchema },
      400: invalidRequest,
      404: error('not_found: no such list'),
      409: error('not_a_draft: this list is not the draft waiting to be sent; or wrong_stage'),
      422: error('empty_list: the draft has no users'),
    },
  },
  {
    method: 'get',
    path: '/api/migration-lists/{listId}',
    operationId: 'getMigrationListPage',
    tag: 'onboardings',
    summary: 'A page of a migration list, in user SID order',
    params: z.object({ listId: z.string().meta({ description: 'Migration list ID', example: 'ml_0123456789abcdef01234567' }) }),
    query: migrationListQuery,
    responses: {
      200: { description: 'A page', schema: migrationListPageResponse },
      400: invalidRequest,
      404: error('not_found: no such list'),
    },
  },
  {
    method: 'post',
    path: '/api/onboardings/{id}/cancel',
    operationId: 'cancelOnboarding',
    tag: 'onboardings',
    summary: 'Cancel an onboarding; what it enforced goes back unless revertTo says keep',
    params: onboardingId,
    body: cancelBody,
    responses: { 200: { description: 'Cancelled', schema: cancelledResponse }, 400: invalidRequest, 404: onboardingNotFound, 409: refused },
  },
  {
    method: 'get',
    path: '/api/me',
    operationId: 'getMe',
    tag: 'session',
    summary: 'The signed-in user',
    security: 'sessionCookie',
    responses: { 200: { description: "The session's user", schema: meResponse }, 401: error('not_signed_in: no session') },
  },
  {
    method: 'get',
    path: '/api/openapi.json',
    operationId: 'getOpenApiDocument',
    tag: 'meta',
    summary: 'This document',
    security: 'public',
    responses: { 200: { description: 'The OpenAPI 3.1 document', schema: { type: 'object' } } },
  },
];
