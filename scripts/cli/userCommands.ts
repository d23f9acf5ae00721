// Users and the audit log from the command line (issue #13, item 4): look a user up, change their SSO state
// with a reason (break-glass), and read the audit trail, through the same support API calls as the console.
import type { z } from 'zod';
import { auditEventsResponse, userLookupResponse, userResponse } from '../../api/responses.js';
import { isId, ssoStates } from '../../contract/vocabulary.js';
import { auditPageSize } from '../../domain/auditLog.js';
import { ApiRefusal, ApiUnreachable, type CliContext } from './api.js';
import { type Command, exactly, print, required, string, UsageError } from './args.js';

const transient = (error: unknown) => error instanceof ApiUnreachable || (error instanceof ApiRefusal && error.status >= 500);

const shown = (value: string | null | undefined) => value ?? '-';

type AuditEvent = z.infer<typeof auditEventsResponse>['items'][number];
type AuditQuery = Record<string, string | undefined>;

/** One event on one line: time, type and reason code, who, why, and what it is about. */
function auditLine(e: AuditEvent): string {
  const reason = typeof e.detail.reason === 'string' ? ` "${e.detail.reason}"` : '';
  const about = [e.userSid, e.connectionId, e.onboardingId].filter(Boolean).join(' ');
  return `${e.at}  ${e.type}${e.reasonCode ? ` ${e.reasonCode}` : ''}  ${shown(e.actor)}${reason}${about ? `  ${about}` : ''}`;
}

/**
 * Events can commit a little out of order (two writers, one slower), so each poll reads back this far
 * before the newest event seen and prints only events not printed before.
 */
const followOverlapMs = 10_000;
/** Pages read per poll at most; more new events than this between two polls are said, not silently dropped. */
const followPagesPerPoll = 10;
const failedPollsAllowed = 5;

/**
 * `audit --follow`: prints the events matching the filters as they come, oldest first, each once (by its
 * sequence number), polling the same API; `--json` gives one JSON object per line. Ends on Ctrl-C (exit 0)
 * or after several failed polls in a row (a refusal at once).
 */
async function followAudit(
  ctx: CliContext,
  query: AuditQuery,
  newest: AuditEvent[],
  options: { json: boolean; intervalMs: number },
): Promise<number> {
  const api = ctx.api();
  const printed = new Map<string, number>();
  let latest = Number.NEGATIVE_INFINITY;
  const show = (events: AuditEvent[]) => {
    for (const e of [...events].reverse()) {
      if (printed.has(e.id)) continue;
      const at = Date.parse(e.at);
      printed.set(e.id, at);
      latest = Math.max(latest, at);
      ctx.out(options.json ? JSON.stringify(e) : auditLine(e));
    }
    // Only events inside the overlap window can come back; the rest are forgotten so memory stays bounded.
    for (const [id, at] of printed) if (at < latest - followOverlapMs) printed.delete(id);
  };
  show(newest);
  let stop = false;
  const interrupted = () => {
    stop = true;
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  let failedPolls = 0;
  try {
    while (!stop) {
      await ctx.sleep(options.intervalMs);
      if (stop) break;
      const since = Number.isFinite(latest) ? new Date(latest - followOverlapMs).toISOString() : query.from;
      const fresh: AuditEvent[] = [];
      try {
        let cursor: string | undefined;
        for (let pages = 0; pages < followPagesPerPoll; pages++) {
          const page = await api.request('GET', '/api/audit-events', auditEventsResponse, {
            query: { ...query, from: since, limit: String(auditPageSize.max), cursor },
          });
          fresh.push(...page.items);
          if (!page.nextCursor) break;
          if (pages === followPagesPerPoll - 1) ctx.err(`more than ${fresh.length} events since the last poll; showing those`);
          cursor = page.nextCursor;
        }
        failedPolls = 0;
      } catch (error) {
        if (transient(error) && ++failedPolls < failedPollsAllowed) continue;
        throw error;
      }
      show(fresh);
    }
  } finally {
    process.removeListener('SIGINT', interrupted);
    process.removeListener('SIGTERM', interrupted);
  }
  return 0;
}

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
    usage:
      'audit [--user USER_SID] [--connection ID] [--onboarding ID] [--type TYPE] [--from TIME] [--to TIME] [--limit N] [--follow [--interval MS]]',
    summary:
      'the newest audit events (default 50), filtered; one line each: time, type, reason code, who and why; --follow keeps printing new ones until interrupted',
    options: {
      user: { type: 'string' },
      connection: { type: 'string' },
      onboarding: { type: 'string' },
      type: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      limit: { type: 'string' },
      follow: { type: 'boolean' },
      interval: { type: 'string' },
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
      const follow = values.follow === true;
      if (!follow && values.interval !== undefined) throw new UsageError('--interval goes with --follow', name);
      if (follow && query.to !== undefined) throw new UsageError('--follow waits for new events: it cannot have --to', name);
      const interval = string(values, 'interval') ?? '2000';
      if (!/^\d+$/.test(interval) || Number(interval) < 50) throw new UsageError('--interval is milliseconds, at least 50', name);
      const page = await ctx.api().request('GET', '/api/audit-events', auditEventsResponse, { query });
      if (!follow) {
        const lines = page.items.map(auditLine);
        print(ctx, values, page, lines.length === 0 ? 'No audit events match.' : lines.reverse().join('\n'));
        return 0;
      }
      return await followAudit(ctx, query, page.items, { json: values.json === true, intervalMs: Number(interval) });
    },
  },
};
