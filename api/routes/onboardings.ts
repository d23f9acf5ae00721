import { dnsTxtLookup, domainStatuses, overrideDomainVerification, verifyDomainsByDns } from '../../domain/domainClaims.js';
import { cancelOnboardingFor, confirmPilotFor, nominatePilotUsersFor, startOnboarding } from '../../domain/onboardingCommands.js';
import { findOnboarding, listOnboardings } from '../../domain/onboardings.js';
import { getOnboarding } from '../../domain/onboardingView.js';
import { type ApiRoute, errorAnswer, invalidRequest } from '../apiRoute.js';
import type { ApiDeps } from '../deps.js';
import { startContext, startOnboardingInput } from '../onboardingRequests.js';
import {
  cancelledResponse,
  domainCheckResponse,
  domainsResponse,
  onboardingListResponse,
  onboardingResponse,
  onboardingStartedResponse,
  pilotResponse,
} from '../responses.js';
import { cancelBody, createOnboardingBody, domainOverrideBody, pilotUsersBody } from '../schemas.js';
import { idpConfigRoute } from './idpConfig.js';
import { migrationListRoutes } from './migrationLists.js';
import {
  domainParams,
  domainUnverifiedOrWrongStage,
  onboardingNotFound,
  onboardingParams,
  refused,
  requireVerifiedDomains,
} from './onboardingShared.js';
import { pilotAndLinkRoutes } from './pilotAndLinks.js';

/** An onboarding from IdP details to SSO enforced (support token). */
export function onboardingRoutes(deps: ApiDeps): ApiRoute[] {
  const { database, temporal, config, clock, approvalSecret } = deps;
  const client = async () => (await temporal()).client;
  const txtLookup = dnsTxtLookup(config.dnsResolver);
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
        const started = await startOnboarding(
          database.db,
          await client(),
          config.temporal.taskQueue,
          startOnboardingInput(body),
          startContext(deps),
        );
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
    idpConfigRoute(deps),
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
        await requireVerifiedDomains(database, id);
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
    ...pilotAndLinkRoutes(deps),
    ...migrationListRoutes(deps),
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
