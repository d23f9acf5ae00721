import express, { Router } from 'express';
import type { z } from 'zod';
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
import { onboardingOfList, pageMigrationList } from '../../domain/migrationLists.js';
import {
  buildMigrationListFor,
  cancelOnboardingById,
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
import type { ApiDeps } from '../deps.js';
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

export function onboardingsRouter({ database, temporal, config, clock, approvalSecret }: ApiDeps): Router {
  const router = Router();
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

  router.post('/onboardings', async (req, res) => {
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
  });

  router.get('/onboardings', async (_req, res) => {
    res.json({ items: await listOnboardings(database.db) });
  });

  router.get('/onboardings/:id', async (req, res) => {
    res.json(
      await getOnboarding(database, await client(), req.params.id, {
        secret: approvalSecret,
        publicBaseUrl: config.publicBaseUrl,
        now: clock.now(),
      }),
    );
  });

  // Looks up each unverified domain's TXT record now; verified ones stay verified.
  router.post('/onboardings/:id/domains/verify', async (req, res) => {
    const onboarding = await findOnboarding(database.db, req.params.id);
    const results = await verifyDomainsByDns(database.db, txtLookup, {
      onboardingId: onboarding.id,
      secret: approvalSecret,
      actor: 'support',
      now: clock.now(),
    });
    res.json({ domains: results, allVerified: results.every((r) => r.verified) });
  });

  router.post('/onboardings/:id/domains/:domain/override', async (req, res) => {
    const domain = domainParam.parse(req.params.domain);
    const { reason } = domainOverrideBody.parse(req.body);
    const onboarding = await findOnboarding(database.db, req.params.id);
    await overrideDomainVerification(database.db, { onboardingId: onboarding.id, domain, actor: 'support', reason, now: clock.now() });
    res.json({ domains: await domainStatuses(database.db, approvalSecret, onboarding.id) });
  });

  // An IdP metadata document as the body, or JSON naming a metadata URL or the fields one by one.
  router.post('/onboardings/:id/idp-config', express.text({ type: idpMetadataTypes, limit: '1mb' }), async (req, res) => {
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
    res.json(await submitIdpConfigFor(database.db, await client(), req.params.id, submission));
  });

  router.post('/onboardings/:id/pilot-users', async (req, res) => {
    const { emails } = pilotUsersBody.parse(req.body);
    await requireVerifiedDomains(req.params.id);
    res.json(await nominatePilotUsersFor(database.db, await client(), req.params.id, emails));
  });

  router.post('/onboardings/:id/pilot/confirm', async (req, res) => {
    res.json(await confirmPilotFor(database.db, await client(), req.params.id));
  });

  router.post('/onboardings/:id/migration-list', async (req, res) => {
    const { send, ...source } = migrationListBody.parse(req.body);
    await requireVerifiedDomains(req.params.id);
    const list = await buildMigrationListFor(database.db, await client(), req.params.id, {
      ...source,
      ...(send === false ? { draft: true } : {}),
    });
    const empty = list.status !== 'draft' && list.problems.find((p) => p.code === 'empty_list');
    if (empty) throw new AppError('empty_list', 422, empty.message, list.problems);
    res.status(202).json(list);
  });

  // A draft (built with send: false) goes out for review.
  router.post('/migration-lists/:listId/send', async (req, res) => {
    const listId = migrationListId.parse(req.params.listId);
    const onboardingId = await onboardingOfList(database.sql, listId);
    if (!onboardingId) throw new AppError('not_found', 404, `migration list ${listId} not found`);
    res.status(202).json(await sendMigrationListFor(database.db, await client(), onboardingId, listId));
  });

  router.get('/migration-lists/:listId', async (req, res) => {
    const { cursor, limit } = migrationListQuery.parse(req.query);
    const listId = req.params.listId;
    if (!migrationListId.safeParse(listId).success || !(await onboardingOfList(database.sql, listId)))
      throw new AppError('not_found', 404, `migration list ${listId} not found`);
    res.json(await pageMigrationList(database.sql, listId, cursor, limit));
  });

  router.post('/onboardings/:id/cancel', async (req, res) => {
    const { reason, revertTo } = cancelBody.parse(req.body);
    res.json(await cancelOnboardingById(database.db, await client(), req.params.id, reason, revertTo));
  });

  return router;
}
