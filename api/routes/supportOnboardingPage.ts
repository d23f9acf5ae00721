import type { Request, Response } from 'express';
import { workflowIdFor } from '../../contract/onboarding.js';
import { type MigrationListFilter as ListFilter, migrationListPage } from '../../domain/migrationListPages.js';
import { findOnboarding } from '../../domain/onboardings.js';
import { getOnboarding } from '../../domain/onboardingView.js';
import { AppError } from '../../lib/errors.js';
import { isDatabaseFailure } from '../../lib/process.js';
import type { ApiDeps } from '../deps.js';
import { sendPage } from '../pages/layout.js';
import { type OnboardingForms, supportOnboardingPage } from '../pages/supportOnboarding.js';
import { supportConsole, temporalUnavailable } from './supportShared.js';

const listPageSize = 50;

/** What a step just done says at the top of the onboarding's page (`?done=`). */
export const notices: Record<string, { text: string; tone: 'ok' | 'warn' }> = {
  pilot_confirmed: { text: 'Support’s pilot confirmation is recorded.', tone: 'ok' },
  pilot_nominated: {
    text: 'The pilot users are nominated: SSO is enabled for them, and the customer was mailed the pilot link.',
    tone: 'ok',
  },
  pilot_removed: { text: 'The users are out of the pilot; those it had switched on sign in with their password again.', tone: 'ok' },
  list_drafted: { text: 'The draft list is built: check the preview below, then send it for review.', tone: 'ok' },
  list_sent: { text: 'The migration list is sent: the customer’s administrator was mailed the review link.', tone: 'ok' },
  link_resent: { text: 'The link is mailed to the customer’s administrator again.', tone: 'ok' },
  setup_link_issued: {
    text: 'A new setup link is issued: the old one no longer opens. Pass the new one on to the customer’s administrator.',
    tone: 'ok',
  },
  cancelled: { text: 'The onboarding is cancelled, and what it changed is reverted as you chose.', tone: 'ok' },
  domains_verified: { text: 'Every email domain is verified.', tone: 'ok' },
  domains_unverified: {
    text: 'Not every TXT record was found yet: check that each domain below publishes the record shown, then check again.',
    tone: 'warn',
  },
  domain_overridden: { text: 'The domain is marked verified by support, with your reason in the audit trail.', tone: 'ok' },
};

const pageNumber = (value: unknown) => Number.parseInt(typeof value === 'string' ? value : '1', 10) || 1;
const filterOf = (value: unknown): ListFilter => (value === 'flagged' ? 'flagged' : 'all');

/**
 * Renders an onboarding's console page (`/support/onboardings/:id`): after a GET, or again after a
 * refused form with what was typed and the refusal's status, so every action's problems show in place.
 */
export function onboardingPageSender(deps: ApiDeps) {
  const { database, config, clock } = deps;
  const { client, onboardingId } = supportConsole(deps);
  return async (req: Request, res: Response, answer: { status?: number; forms?: OnboardingForms } = {}) => {
    const id = onboardingId(req);
    await findOnboarding(database.db, id);
    const onboarding = await getOnboarding(database, await client(), id, {
      secret: deps.approvalSecret,
      publicBaseUrl: config.publicBaseUrl,
      now: clock.now(),
    }).catch((error: unknown) => {
      // The page reads PostgreSQL and the workflow: only a failure of the second is Temporal's.
      if (error instanceof AppError || isDatabaseFailure(error)) throw error;
      req.log.warn({ err: error }, 'could not query the onboarding workflow');
      throw temporalUnavailable();
    });
    const refreshing = req.method === 'GET' && req.query.refresh === '1';
    const filter = filterOf(req.query.show);
    const listPage = onboarding.migration
      ? {
          ...(await migrationListPage(database.sql, onboarding.migration.listId, {
            page: pageNumber(req.query.page),
            pageSize: listPageSize,
            filter,
          })),
          filter,
        }
      : undefined;
    const draftFilter = filterOf(req.query.draftShow);
    const draftPage = onboarding.draft
      ? {
          ...(await migrationListPage(database.sql, onboarding.draft.listId, {
            page: pageNumber(req.query.draftPage),
            pageSize: listPageSize,
            filter: draftFilter,
          })),
          filter: draftFilter,
        }
      : undefined;
    const path = `/support/onboardings/${encodeURIComponent(id)}`;
    const keep = refreshing ? '&refresh=1' : '';
    const { uiUrl, namespace } = config.temporal;
    sendPage(res, {
      ...supportOnboardingPage({
        onboarding,
        listPage,
        listHref: (page, show) => `${path}?page=${page}&show=${show}${keep}#h-list`,
        draftPage,
        draftHref: (page, show) => `${path}?draftPage=${page}&draftShow=${show}${keep}#h-draft`,
        temporalUrl: uiUrl
          ? `${uiUrl.replace(/\/+$/, '')}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowIdFor(id))}`
          : undefined,
        path,
        refreshing,
        notice: typeof req.query.done === 'string' ? notices[req.query.done] : undefined,
        forms: answer.forms ?? {},
      }),
      status: answer.status,
    });
  };
}
