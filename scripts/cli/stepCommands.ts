// The CLI's side of the steps added with the console (#13): pilot users taken out, a pending link mailed again.
import { pilotResponse, setupLinkIssuedResponse } from '../../api/responses.js';
import { approvalStepParam, resentResponse } from '../../api/stepSchemas.js';
import { approvalSteps, isId } from '../../contract/vocabulary.js';
import { type Command, onboardingId, onboardingPath, print, required, UsageError } from './args.js';

export const stepCommands: Record<string, Command> = {
  'remove-pilot': {
    usage: 'remove-pilot ID USER_SID… --reason TEXT',
    summary: 'take users out of the pilot; those it switched on go back to no SSO',
    options: { reason: { type: 'string' } },
    json: true,
    async run(ctx, { values, positionals, name }) {
      const [first, ...userSids] = positionals;
      const id = onboardingId(first, name);
      if (userSids.length === 0) throw new UsageError('name at least one pilot USER_SID', name);
      const malformed = userSids.find((sid) => !isId('user', sid));
      if (malformed) throw new UsageError(`${JSON.stringify(malformed)} is not a user SID (US…)`, name);
      const reason = required(values, 'reason', name);
      const pilot = await ctx
        .api()
        .request('POST', onboardingPath(id, '/pilot-users/remove'), pilotResponse, { json: { userSids, reason } });
      print(ctx, values, pilot, `Pilot users now: ${pilot.users.map((u) => u.email).join(', ') || 'none'}`);
      return 0;
    },
  },

  'resend-link': {
    usage: `resend-link ID ${approvalSteps.join('|')} --reason TEXT`,
    summary: 'mail the pending approval link of a step to the customer administrator again (the same link, as a reminder)',
    options: { reason: { type: 'string' } },
    json: true,
    async run(ctx, { values, positionals, name }) {
      if (positionals.length > 2) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[2])}`, name);
      const id = onboardingId(positionals[0], name);
      const step = approvalStepParam.safeParse(positionals[1]);
      if (!step.success) throw new UsageError(`the step is one of ${approvalSteps.join(', ')}`, name);
      const reason = required(values, 'reason', name);
      const resent = await ctx
        .api()
        .request('POST', onboardingPath(id, `/approvals/${step.data}/resend`), resentResponse, { json: { reason } });
      print(ctx, values, resent, `The ${resent.step.replace('_', ' ')} link is mailed again.`);
      return 0;
    },
  },
  'setup-link': {
    usage: 'setup-link ID --reason TEXT',
    summary: 'issue a new setup link for the customer administrator (the old one stops working) and print it to pass on',
    options: { reason: { type: 'string' } },
    json: true,
    async run(ctx, { values, positionals, name }) {
      if (positionals.length > 1) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[1])}`, name);
      const id = onboardingId(positionals[0], name);
      const reason = required(values, 'reason', name);
      const issued = await ctx.api().request('POST', onboardingPath(id, '/setup-link'), setupLinkIssuedResponse, { json: { reason } });
      print(ctx, values, issued, `${issued.setupUrl}\n(works until ${issued.expiresAt}; the old link no longer opens)`);
      return 0;
    },
  },
};
