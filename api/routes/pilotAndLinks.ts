// Support's steps added with the console (#13): taking users out of the pilot, and mailing a pending
// approval link again. The console's forms (supportSteps.ts) call the same domain functions.
import { removePilotUsersFor, resendApprovalLinkFor } from '../../domain/onboardingCommands.js';
import { findOnboarding } from '../../domain/onboardings.js';
import { reissueSetupLink } from '../../domain/setupLinks.js';
import { type ApiRoute, errorAnswer, invalidRequest } from '../apiRoute.js';
import type { ApiDeps } from '../deps.js';
import { pilotResponse, setupLinkIssuedResponse } from '../responses.js';
import { changeReasonBody } from '../schemas.js';
import { approvalStepParam, removePilotUsersBody, resendApprovalBody, resentResponse } from '../stepSchemas.js';
import { onboardingNotFound, onboardingParams } from './onboardingShared.js';

const stepParams = onboardingParams.extend({ step: approvalStepParam });

export function pilotAndLinkRoutes({ database, temporal, approvalSecret, config, clock }: ApiDeps): ApiRoute[] {
  const client = async () => (await temporal()).client;
  return [
    {
      method: 'post',
      path: '/onboardings/:id/pilot-users/remove',
      operationId: 'removePilotUsers',
      tag: 'onboardings',
      summary: 'Take users out of the pilot; those it switched on go back to no SSO',
      params: onboardingParams,
      body: removePilotUsersBody,
      responses: {
        200: { description: 'The pilot', schema: pilotResponse },
        400: invalidRequest,
        404: onboardingNotFound,
        409: errorAnswer('wrong_stage: the pilot is over, or reason_required'),
        422: errorAnswer('not_a_pilot_user: a SID is not one of the pilot’s users'),
      },
      async handler(req, res) {
        const { userSids, reason } = removePilotUsersBody.parse(req.body);
        const id = onboardingParams.shape.id.parse(req.params.id);
        res.json(await removePilotUsersFor(database.db, await client(), id, userSids, reason));
      },
    },
    {
      method: 'post',
      path: '/onboardings/:id/approvals/:step/resend',
      operationId: 'resendApprovalLink',
      tag: 'onboardings',
      summary: 'Mail the pending link of a step to the customer administrator again (the same link, as a reminder)',
      params: stepParams,
      body: resendApprovalBody,
      responses: {
        200: { description: 'The link is mailed again', schema: resentResponse },
        400: invalidRequest,
        404: onboardingNotFound,
        409: errorAnswer('no_pending_link: no link of this step is waiting; or wrong_stage'),
      },
      async handler(req, res) {
        const { reason } = resendApprovalBody.parse(req.body);
        const { id, step } = stepParams.parse(req.params);
        res.json(await resendApprovalLinkFor(database.db, await client(), id, step, reason));
      },
    },
    {
      method: 'post',
      path: '/onboardings/:id/setup-link',
      operationId: 'issueSetupLink',
      tag: 'onboardings',
      summary: 'Issue a new setup link for the customer administrator; older ones stop working at once (audited with the reason)',
      params: onboardingParams,
      body: changeReasonBody,
      responses: {
        201: { description: 'The new link, to pass on to the administrator', schema: setupLinkIssuedResponse },
        400: invalidRequest,
        404: onboardingNotFound,
        409: errorAnswer('no_setup_link: the onboarding predates setup links'),
        410: errorAnswer('setup_complete: the connection is active, setup is over'),
      },
      async handler(req, res) {
        const { reason } = changeReasonBody.parse(req.body);
        const id = onboardingParams.shape.id.parse(req.params.id);
        await findOnboarding(database.db, id);
        res.status(201).json(
          await reissueSetupLink(database.db, id, {
            reason,
            secret: approvalSecret,
            publicBaseUrl: config.publicBaseUrl,
            now: clock.now(),
          }),
        );
      },
    },
  ];
}
