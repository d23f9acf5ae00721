import { z } from 'zod';
import type { IdpConfigSubmission, Problem } from '../../contract/onboarding.js';
import {
  dnsTxtLookup,
  domainStatuses,
  domainUnverified,
  overrideDomainVerification,
  unverifiedDomains,
  verifyDomainsByDns,
} from '../../domain/domainClaims.js';
import { validateIdpConfig } from '../../domain/idpConfig/index.js';
import { migrationListEntriesAfter } from '../../domain/migrationListPages.js';
import { onboardingOfList } from '../../domain/migrationLists.js';
import {
  buildMigrationListFor,
  cancelOnboardingFor,
  confirmPilotFor,
  nominatePilotUsersFor,
  sendMigrationListFor,
  startOnboarding,
  submitIdpConfigFor,
} from '../../domain/onboardingCommands.js';
import { findOnboarding, invalidIdpConfig, listOnboardings } from '../../domain/onboardings.js';
import { getOnboarding } from '../../domain/onboardingView.js';
import { AppError } from '../../lib/errors.js';
import { controlCharacterIn, refuseControlCharacters } from '../../lib/text.js';
import { type ApiRoute, errorAnswer, invalidRequest } from '../apiRoute.js';
import type { ApiDeps } from '../deps.js';
import {
  cancelledResponse,
  domainCheckResponse,
  domainsResponse,
  idpConfigAcceptedResponse,
  migrationListPageResponse,
  migrationSchema,
  onboardingListResponse,
  onboardingResponse,
  onboardingStartedResponse,
  pilotResponse,
} from '../responses.js';
import {
  cancelBody,
  createOnboardingBody,
  domainOverrideBody,
  domainParam,
  idpConfigFieldsBody,
  idpConfigQuery,
  idpConfigUrlBody,
  idpMetadataTypes,
  migrationListBody,
  migrationListId,
  migrationListQuery,
  pilotUsersBody,
} from '../schemas.js';

/**
 * The JSON forms of `idp-config`: the route parses a body naming `metadataUrl` with the first, any other
 * with the second; both are strict, so a body matches at most one. Only the document uses this union.
 */
const idpConfigJsonBody = z
  .union([idpConfigUrlBody, idpConfigFieldsBody])
  .meta({ id: 'IdpConfigJsonRequest', description: 'A metadata URL, or the IdP details field by field' });

/**
 * A migration list by SIDs may name up to 200,000 users (~7.4 MB of JSON, api/schemas.ts); only that
 * route reads more than the API's 1 MB (api/app.ts).
 */
const migrationListBodyLimit = 8 * 1024 * 1024;

const onboardingNotFound = errorAnswer('not_found: no onboarding with this ID');
const refused = errorAnswer(
  'wrong_stage (or another refusal of the workflow, named by `code`): the onboarding is not at a stage that allows this',
);
const domainUnverifiedOrWrongStage = errorAnswer("domain_unverified: a domain's ownership is not verified yet; or wrong_stage");
const noSuchList = errorAnswer('not_found: no such list');
const onboardingParams = z.object({
  id: z.string().meta({ description: 'Onboarding ID', example: 'ob_0123456789abcdef01234567' }),
});
const domainParams = onboardingParams.extend({ domain: domainParam });
const listParams = z.object({
  listId: z.string().meta({ description: 'Migration list ID', example: 'ml_0123456789abcdef01234567' }),
});

/** An onboarding from IdP details to SSO enforced (support token). */
export function onboardingRoutes({ database, temporal, config, clock, approvalSecret }: ApiDeps): ApiRoute[] {
  const client = async () => (await temporal()).client;
  const txtLookup = dnsTxtLookup(config.dnsResolver);
  /** Pilot users and migration lists move real users: only once the customer has shown it owns every domain. */
  const requireVerifiedDomains = async (id: string) => {
    await findOnboarding(database.db, id);
    const unverified = await unverifiedDomains(database.db, id);
    if (unverified.length > 0) throw domainUnverified(unverified);
  };

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

  return [
    {
      method: 'post',
      path: '/onboardings',
      operationId: 'startOnboarding',
      tag: 'onboardings',
      summary: 'Start an onboarding',
      description: 'Starts its workflow in `config_intake`, waiting for the IdP configuration.',
      body: createOnboardingBody,
      responses: { 201: { description: 'Started', schema: onboardingStartedResponse }, 400: invalidRequest },
      async handler(req, res) {
        const body = createOnboardingBody.parse(req.body);
        const started = await startOnboarding(database.db, await client(), config.temporal.taskQueue, {
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
        });
        res.status(201).json(started);
      },
    },
    {
      method: 'get',
      path: '/onboardings',
      operationId: 'listOnboardings',
      tag: 'onboardings',
      summary: 'List onboardings, newest first',
      responses: { 200: { description: 'The newest 500 onboardings', schema: onboardingListResponse } },
      async handler(_req, res) {
        res.json({ items: await listOnboardings(database.db) });
      },
    },
    {
      method: 'get',
      path: '/onboardings/:id',
      operationId: 'getOnboarding',
      tag: 'onboardings',
      summary: 'One onboarding: stage, problems, pilot, migration list, progress, pending approvals and events',
      params: onboardingParams,
      responses: { 200: { description: 'The onboarding', schema: onboardingResponse }, 404: onboardingNotFound },
      async handler(req, res) {
        res.json(
          await getOnboarding(database, await client(), onboardingParams.shape.id.parse(req.params.id), {
            secret: approvalSecret,
            publicBaseUrl: config.publicBaseUrl,
            now: clock.now(),
          }),
        );
      },
    },
    {
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
    },
    {
      // Looks up each unverified domain's TXT record now; verified ones stay verified.
      method: 'post',
      path: '/onboardings/:id/domains/verify',
      operationId: 'verifyDomains',
      tag: 'onboardings',
      summary: "Look up each unverified domain's TXT record now; once all are verified the connection goes active",
      params: onboardingParams,
      responses: { 200: { description: 'What DNS answered for each domain', schema: domainCheckResponse }, 404: onboardingNotFound },
      async handler(req, res) {
        const onboarding = await findOnboarding(database.db, onboardingParams.shape.id.parse(req.params.id));
        const results = await verifyDomainsByDns(database.db, txtLookup, {
          onboardingId: onboarding.id,
          secret: approvalSecret,
          actor: 'support',
          now: clock.now(),
        });
        res.json({ domains: results, allVerified: results.every((r) => r.verified) });
      },
    },
    {
      method: 'post',
      path: '/onboardings/:id/domains/:domain/override',
      operationId: 'overrideDomainVerification',
      tag: 'onboardings',
      summary: "Mark a domain verified without DNS, with support's reason; audited",
      params: domainParams,
      body: domainOverrideBody,
      responses: {
        200: { description: "The onboarding's domains", schema: domainsResponse },
        400: invalidRequest,
        404: errorAnswer('not_found: no such onboarding, or it does not hold the domain'),
      },
      async handler(req, res) {
        const domain = domainParams.shape.domain.parse(req.params.domain);
        const { reason } = domainOverrideBody.parse(req.body);
        const onboarding = await findOnboarding(database.db, domainParams.shape.id.parse(req.params.id));
        await overrideDomainVerification(database.db, { onboardingId: onboarding.id, domain, actor: 'support', reason, now: clock.now() });
        res.json({ domains: await domainStatuses(database.db, approvalSecret, onboarding.id) });
      },
    },
    {
      method: 'post',
      path: '/onboardings/:id/pilot-users',
      operationId: 'nominatePilotUsers',
      tag: 'onboardings',
      summary: 'Nominate pilot users; they are enabled for SSO at once',
      params: onboardingParams,
      body: pilotUsersBody,
      responses: {
        200: { description: 'The pilot', schema: pilotResponse },
        400: invalidRequest,
        404: onboardingNotFound,
        409: domainUnverifiedOrWrongStage,
      },
      async handler(req, res) {
        const { emails } = pilotUsersBody.parse(req.body);
        const id = onboardingParams.shape.id.parse(req.params.id);
        await requireVerifiedDomains(id);
        res.json(await nominatePilotUsersFor(database.db, await client(), id, emails));
      },
    },
    {
      method: 'post',
      path: '/onboardings/:id/pilot/confirm',
      operationId: 'confirmPilot',
      tag: 'onboardings',
      summary: "Support's confirmation of the pilot; the customer confirms by the mailed link",
      params: onboardingParams,
      responses: {
        200: { description: 'The pilot', schema: pilotResponse },
        404: onboardingNotFound,
        409: errorAnswer('wrong_stage, or pilot_not_started: nominate pilot users first'),
      },
      async handler(req, res) {
        res.json(await confirmPilotFor(database.db, await client(), onboardingParams.shape.id.parse(req.params.id)));
      },
    },
    {
      method: 'post',
      path: '/onboardings/:id/migration-list',
      operationId: 'buildMigrationList',
      tag: 'onboardings',
      summary: 'Build the migration list; the customer reviews it by the mailed link',
      params: onboardingParams,
      body: migrationListBody,
      jsonLimit: migrationListBodyLimit,
      responses: {
        202: { description: 'Built and waiting for the review (or, with send false, a draft to preview)', schema: migrationSchema },
        400: invalidRequest,
        404: onboardingNotFound,
        409: domainUnverifiedOrWrongStage,
        422: errorAnswer(
          'domain_not_in_onboarding: a `domain` list names a domain this onboarding does not hold; empty_list: nobody is on the list, so it is not sent (details: the problems); or the list cannot be built from this source',
        ),
      },
      async handler(req, res) {
        const { send, ...source } = migrationListBody.parse(req.body);
        const id = onboardingParams.shape.id.parse(req.params.id);
        await requireVerifiedDomains(id);
        const list = await buildMigrationListFor(database.db, await client(), id, {
          ...source,
          ...(send === false ? { draft: true } : {}),
        });
        const empty = list.status !== 'draft' && list.problems.find((p) => p.code === 'empty_list');
        if (empty) throw new AppError('empty_list', 422, empty.message, list.problems);
        res.status(202).json(list);
      },
    },
    {
      // A draft (built with send: false) goes out for review.
      method: 'post',
      path: '/migration-lists/:listId/send',
      operationId: 'sendMigrationList',
      tag: 'onboardings',
      summary: 'Send a draft list (built with send false) to the customer for review',
      params: listParams,
      responses: {
        202: { description: 'Sent: the draft is the version under review', schema: migrationSchema },
        400: invalidRequest,
        404: noSuchList,
        409: errorAnswer('not_a_draft: this list is not the draft waiting to be sent; or wrong_stage'),
        422: errorAnswer('empty_list: the draft has no users'),
      },
      async handler(req, res) {
        // The path's own check (400) is the ID format; a well-formed ID of no list is a 404.
        const listId = migrationListId.parse(req.params.listId);
        const onboardingId = await onboardingOfList(database.sql, listId);
        if (!onboardingId) throw new AppError('not_found', 404, `migration list ${listId} not found`);
        res.status(202).json(await sendMigrationListFor(database.db, await client(), onboardingId, listId));
      },
    },
    {
      method: 'get',
      path: '/migration-lists/:listId',
      operationId: 'getMigrationListPage',
      tag: 'onboardings',
      summary: 'A page of a migration list, in user SID order',
      params: listParams,
      query: migrationListQuery,
      responses: {
        200: { description: 'A page', schema: migrationListPageResponse },
        400: invalidRequest,
        404: noSuchList,
      },
      async handler(req, res) {
        const { cursor, limit } = migrationListQuery.parse(req.query);
        const listId = listParams.shape.listId.parse(req.params.listId);
        if (!migrationListId.safeParse(listId).success || !(await onboardingOfList(database.sql, listId)))
          throw new AppError('not_found', 404, `migration list ${listId} not found`);
        res.json(await migrationListEntriesAfter(database.sql, listId, cursor, limit));
      },
    },
    {
      method: 'post',
      path: '/onboardings/:id/cancel',
      operationId: 'cancelOnboarding',
      tag: 'onboardings',
      summary: 'Cancel an onboarding; what it enforced goes back unless revertTo says keep',
      params: onboardingParams,
      body: cancelBody,
      responses: {
        200: { description: 'Cancelled', schema: cancelledResponse },
        400: invalidRequest,
        404: onboardingNotFound,
        409: refused,
      },
      async handler(req, res) {
        const { reason, revertTo } = cancelBody.parse(req.body);
        res.json(await cancelOnboardingFor(database.db, await client(), onboardingParams.shape.id.parse(req.params.id), reason, revertTo));
      },
    },
  ];
}
