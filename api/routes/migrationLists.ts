// The migration list: built (or drafted) for an onboarding, a draft sent for review, and read page by page.
import { migrationListEntriesAfter } from '../../domain/migrationListPages.js';
import { onboardingOfList } from '../../domain/migrationLists.js';
import { buildMigrationListFor, sendMigrationListFor } from '../../domain/onboardingCommands.js';
import { AppError } from '../../lib/errors.js';
import { type ApiRoute, errorAnswer, invalidRequest } from '../apiRoute.js';
import type { ApiDeps } from '../deps.js';
import { migrationListPageResponse, migrationSchema } from '../responses.js';
import { migrationListBody, migrationListId, migrationListQuery } from '../schemas.js';
import {
  domainUnverifiedOrWrongStage,
  listParams,
  noSuchList,
  onboardingNotFound,
  onboardingParams,
  requireVerifiedDomains,
} from './onboardingShared.js';

/**
 * A migration list by SIDs may name up to 200,000 users (~7.4 MB of JSON, api/schemas.ts); only that
 * route reads more than the API's 1 MB (api/app.ts).
 */
const migrationListBodyLimit = 8 * 1024 * 1024;

export function migrationListRoutes({ database, temporal }: ApiDeps): ApiRoute[] {
  const client = async () => (await temporal()).client;
  return [
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
        await requireVerifiedDomains(database, id);
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
  ];
}
