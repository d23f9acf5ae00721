// Users and the audit log from the command line (issue #13, item 4): look a user up, change their SSO state
// with a reason (break-glass), and read the audit trail, through the same support API calls as the console.
import { auditEventsResponse, userLookupResponse, userResponse } from '../../api/responses.js';
import { isId, ssoStates } from '../../contract/vocabulary.js';
import { type Command, exactly, print, required, string, UsageError } from './args.js';

const shown = (value: string | null | undefined) => value ?? '-';

export const userCommands: Record<string, Command> = {
  user: {
    usage: 'user EMAIL|USER_SID',
    summary: 'look a user up: SSO state, connection, last SSO sign-in and live sessions (email matched case-insensitively)',
    json: true,
    async run(ctx, { values, positionals, name }) {
      exactly(positionals, 1, name);
      const who = positionals[0] as string;
      const query = isId('user', who) ? { sid: who } : { email: who };
      const found = await ctx.api().request('GET', '/api/users', userLookupResponse, { query });
      const [user] = found.items;
      if (!user) {
        print(ctx, values, found, `No user ${who}.`);
        return 1;
      }
      print(
        ctx,
        values,
        found,
        [
          `${user.email} (${user.sid})`,
          `  SSO state        ${user.ssoState}`,
          `  Connection       ${shown(user.connectionId)}`,
          `  Last SSO sign-in ${shown(user.lastSsoLoginAt)}`,
          `  Live sessions    ${user.activeSessions}`,
        ].join('\n'),
      );
      return 0;
    },
  },

  'set-sso': {
    usage: 'set-sso USER_SID none|enabled|enforced --reason TEXT [--connection ID]',
    summary: "change a user's SSO state (break-glass: `enabled` lets an enforced user use their password again); audited with the reason",
    options: { reason: { type: 'string' }, connection: { type: 'string' } },
    json: true,
    async run(ctx, { values, positionals, name }) {
      exactly(positionals, 2, name);
      const [sid, state] = positionals as [string, string];
      if (!isId('user', sid)) throw new UsageError(`${JSON.stringify(sid)} is not a user SID (US followed by 32 hex digits)`, name);
      if (!(ssoStates as readonly string[]).includes(state)) throw new UsageError(`the state must be one of ${ssoStates.join(', ')}`, name);
      const body = { state, reason: required(values, 'reason', name), connectionId: string(values, 'connection') };
      const user = await ctx.api().request('PUT', `/api/users/${sid}/sso`, userResponse, { json: body });
      print(
        ctx,
        values,
        user,
        `${user.email} (${user.sid}) is now ${user.ssoState}${user.connectionId ? ` on ${user.connectionId}` : ''}.`,
      );
      return 0;
    },
  },

  audit: {
    usage: 'audit [--user USER_SID] [--connection ID] [--onboarding ID] [--type TYPE] [--from TIME] [--to TIME] [--limit N]',
    summary: 'the newest audit events (default 50), filtered; one line each: time, type, reason code, who and why',
    options: {
      user: { type: 'string' },
      connection: { type: 'string' },
      onboarding: { type: 'string' },
      type: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      limit: { type: 'string' },
    },
    json: true,
    async run(ctx, { values, positionals, name }) {
      exactly(positionals, 0, name);
      const query = {
        userSid: string(values, 'user'),
        connectionId: string(values, 'connection'),
        onboardingId: string(values, 'onboarding'),
        type: string(values, 'type'),
        from: string(values, 'from'),
        to: string(values, 'to'),
        limit: string(values, 'limit'),
      };
      const page = await ctx.api().request('GET', '/api/audit-events', auditEventsResponse, { query });
      const lines = page.items.map((e) => {
        const reason = typeof e.detail.reason === 'string' ? ` "${e.detail.reason}"` : '';
        const about = [e.userSid, e.connectionId, e.onboardingId].filter(Boolean).join(' ');
        return `${e.at}  ${e.type}${e.reasonCode ? ` ${e.reasonCode}` : ''}  ${shown(e.actor)}${reason}${about ? `  ${about}` : ''}`;
      });
      print(ctx, values, page, lines.length === 0 ? 'No audit events match.' : lines.reverse().join('\n'));
      return 0;
    },
  },
};
