// Request bodies of the steps added for the console (#13): pilot users taken out, a pending link mailed
// again. The API's routes and the console's forms parse with these same objects.
import { z } from 'zod';
import { approvalSteps } from '../contract/onboarding.js';
import { freeText, userSidSchema } from './schemas.js';

const reason = freeText().trim().min(1, 'must say why').max(1000);

export const removePilotUsersBody = z
  .strictObject({
    userSids: z.array(userSidSchema).min(1, 'tick at least one pilot user to remove').max(100),
    reason,
  })
  .meta({ id: 'RemovePilotUsersRequest', description: 'Those the pilot switched on go back to no SSO; audited with the reason' });

export const resendApprovalBody = z.strictObject({ reason }).meta({ id: 'ResendApprovalRequest' });

export const approvalStepParam = z.enum(approvalSteps, { error: `the step is one of ${approvalSteps.join(', ')}` });

export const resentResponse = z.object({ step: z.enum(approvalSteps) }).meta({ id: 'ApprovalLinkResent' });
