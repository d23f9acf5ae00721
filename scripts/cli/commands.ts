// The CLI's commands: each names its arguments, checks them, makes its support API calls and prints the result.
import { readFile } from 'node:fs/promises';
import type { z } from 'zod';
import {
  cancelledResponse,
  domainCheckResponse,
  domainsResponse,
  idpConfigAcceptedResponse,
  migrationSchema,
  onboardingListResponse,
  onboardingResponse,
  onboardingStartedResponse,
  pilotResponse,
} from '../../api/responses.js';
import { cancelBody } from '../../api/schemas.js';
import { describeId, isId } from '../../contract/vocabulary.js';
import type { SupportApi } from './api.js';
import { type Command, exactly, onboardingId, onboardingPath, print, required, string, strings, UsageError } from './args.js';
import { connectionCommands, readCertificateFile } from './connectionCommands.js';
import { onboardingDetail, onboardingTable } from './format.js';
import { stepCommands } from './stepCommands.js';
import { userCommands } from './userCommands.js';
import { watchOnboarding } from './watch.js';

export const commands: Record<string, Command> = {
  ...connectionCommands,
  ...userCommands,
  ...stepCommands,
  start: {
    usage:
      'start --customer NAME --admin EMAIL --domain D [--domain D2 …] [--customer-id ID]\n' +
      '      [--reminder-every PT1H] [--approval-timeout P7D] [--batch-size N] [--no-notify]',
    summary: 'start an onboarding; durations are ISO 8601 (PT1H, P3D)',
    options: {
      customer: { type: 'string' },
      'customer-id': { type: 'string' },
      admin: { type: 'string' },
      domain: { type: 'string', multiple: true },
      'reminder-every': { type: 'string' },
      'approval-timeout': { type: 'string' },
      'batch-size': { type: 'string' },
      'no-notify': { type: 'boolean' },
    },
    json: true,
    async run(ctx, { values, positionals, name }) {
      exactly(positionals, 0, name);
      const domains = strings(values, 'domain');
      if (domains.length === 0) throw new UsageError('name at least one --domain', name);
      const batchSize = string(values, 'batch-size');
      if (batchSize !== undefined && !/^\d+$/.test(batchSize)) throw new UsageError('--batch-size must be a whole number', name);
      const options = {
        reminderEvery: string(values, 'reminder-every'),
        approvalTimeout: string(values, 'approval-timeout'),
        batchSize: batchSize === undefined ? undefined : Number(batchSize),
        notifyUsers: values['no-notify'] ? false : undefined,
      };
      const body = {
        customerName: required(values, 'customer', name),
        customerId: string(values, 'customer-id'),
        adminEmail: required(values, 'admin', name),
        emailDomains: domains,
        options,
      };
      const started = await ctx.api().request('POST', '/api/onboardings', onboardingStartedResponse, { json: body });
      print(
        ctx,
        values,
        started,
        `Started onboarding ${started.id} (stage ${started.stage}).\nNext: npm run cli -- idp-config ${started.id} FILE|URL`,
      );
      return 0;
    },
  },

  status: {
    usage: 'status [ID]',
    summary: 'list onboardings; with an ID: stage, problems, pilot, migration list, progress, pending approvals',
    json: true,
    async run(ctx, { values, positionals, name }) {
      exactly(positionals, 1, name);
      if (positionals.length === 0) {
        const list = await ctx.api().request('GET', '/api/onboardings', onboardingListResponse);
        print(ctx, values, list, onboardingTable(list.items));
        return 0;
      }
      const id = onboardingId(positionals[0], name);
      const onboarding = await ctx.api().request('GET', onboardingPath(id), onboardingResponse);
      print(ctx, values, onboarding, onboardingDetail(onboarding));
      return 0;
    },
  },

  'idp-config': {
    usage:
      'idp-config ID FILE|URL [--email-attribute A]\n' +
      '      idp-config ID --entity-id E --sso-url U [--binding redirect|post] --certificate FILE [--certificate FILE2 …]\n' +
      '      [--logout-url U] [--email-attribute A]',
    summary:
      "submit the customer's IdP metadata (a file is sent as the document, an https URL is fetched by the service), " +
      'or its details field by field (binding: redirect unless told)',
    options: {
      'email-attribute': { type: 'string' },
      'entity-id': { type: 'string' },
      'sso-url': { type: 'string' },
      binding: { type: 'string' },
      certificate: { type: 'string', multiple: true },
      'logout-url': { type: 'string' },
    },
    json: true,
    async run(ctx, { values, positionals, name }) {
      exactly(positionals, 2, name);
      const id = onboardingId(positionals[0], name);
      const source = positionals[1];
      const emailAttribute = string(values, 'email-attribute');
      const fieldOptions = ['entity-id', 'sso-url', 'binding', 'certificate', 'logout-url'].filter((o) => values[o] !== undefined);
      let request: Parameters<SupportApi['request']>[3];
      if (fieldOptions.length > 0) {
        if (source) throw new UsageError(`give the metadata FILE|URL or the fields (--${fieldOptions[0]}), not both`, name);
        const binding = string(values, 'binding') ?? 'redirect';
        if (binding !== 'redirect' && binding !== 'post') throw new UsageError('--binding must be redirect or post', name);
        const files = strings(values, 'certificate');
        if (files.length === 0) throw new UsageError('--certificate FILE is required (the IdP signing certificate)', name);
        request = {
          json: {
            entityId: required(values, 'entity-id', name),
            ssoUrl: required(values, 'sso-url', name),
            ssoBinding: binding,
            certificates: await Promise.all(files.map((file) => readCertificateFile(file, name))),
            logoutRedirectUrl: string(values, 'logout-url'),
            emailAttribute,
          },
        };
      } else if (!source) {
        throw new UsageError('name the metadata FILE or URL, or give the fields (--entity-id, --sso-url, --certificate)', name);
      } else if (/^https?:\/\//i.test(source)) {
        request = { json: { metadataUrl: source, emailAttribute } };
      } else {
        let xml: string;
        try {
          xml = await readFile(source, 'utf8');
        } catch (error) {
          throw new UsageError(`cannot read ${source}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, name);
        }
        request = { xml, query: { emailAttribute } };
      }
      const accepted = await ctx.api().request('POST', onboardingPath(id, '/idp-config'), idpConfigAcceptedResponse, request);
      const c = accepted.connection;
      print(
        ctx,
        values,
        accepted,
        [
          `IdP configuration accepted: connection ${c.id} (${c.status}). The SP details for the customer's IdP:`,
          `  SP entity ID  ${c.spEntityId}`,
          `  ACS URL       ${c.acsUrl}`,
          `  SP metadata   ${c.metadataUrl}`,
          ...accepted.warnings.map((w) => `warning: ${w.field}: ${w.message} [${w.code}]`),
        ].join('\n'),
      );
      return 0;
    },
  },

  'verify-domains': {
    usage: 'verify-domains ID',
    summary: "look up each domain's TXT record now; the connection goes active once every domain is verified",
    json: true,
    async run(ctx, { values, positionals, name }) {
      exactly(positionals, 1, name);
      const id = onboardingId(positionals[0], name);
      const checked = await ctx.api().request('POST', onboardingPath(id, '/domains/verify'), domainCheckResponse);
      print(
        ctx,
        values,
        checked,
        [
          ...checked.domains.map((d) =>
            d.verified ? `${d.domain}: verified (${d.method})` : `${d.domain}: ${d.problem?.message} [${d.problem?.code}]`,
          ),
          checked.allVerified ? 'Every domain is verified.' : 'Not every domain is verified yet.',
        ].join('\n'),
      );
      return checked.allVerified ? 0 : 1;
    },
  },

  'override-domain': {
    usage: 'override-domain ID DOMAIN --reason TEXT',
    summary: "mark a domain verified without DNS, once you know another way that it is the customer's (audited)",
    options: { reason: { type: 'string' } },
    json: true,
    async run(ctx, { values, positionals, name }) {
      exactly(positionals, 2, name);
      const id = onboardingId(positionals[0], name);
      const domain = positionals[1];
      if (!domain) throw new UsageError('name the DOMAIN', name);
      const reason = required(values, 'reason', name);
      const path = onboardingPath(id, `/domains/${encodeURIComponent(domain)}/override`);
      const answer = await ctx.api().request('POST', path, domainsResponse, { json: { reason } });
      print(
        ctx,
        values,
        answer,
        answer.domains.map((d) => `${d.domain}: ${d.verified ? `verified (${d.method})` : 'not verified'}`).join('\n'),
      );
      return 0;
    },
  },

  pilot: {
    usage: 'pilot ID EMAIL…',
    summary: 'nominate pilot users; they are enabled for SSO at once',
    json: true,
    async run(ctx, { values, positionals, name }) {
      const id = onboardingId(positionals[0], name);
      const emails = positionals.slice(1);
      if (emails.length === 0) throw new UsageError('name at least one pilot user EMAIL', name);
      const pilot = await ctx.api().request('POST', onboardingPath(id, '/pilot-users'), pilotResponse, { json: { emails } });
      print(
        ctx,
        values,
        pilot,
        [
          `Pilot users enabled for SSO: ${pilot.users.map((u) => u.email).join(', ') || 'none'}`,
          ...(pilot.unknownEmails.length ? [`Not users here (skipped): ${pilot.unknownEmails.join(', ')}`] : []),
          ...(pilot.refused ?? []).map((r) => `Refused: ${r.message} [${r.code}]`),
          `Customer confirmed: ${pilot.customerConfirmed ? 'yes' : 'not yet'}; support confirmed: ${pilot.supportConfirmed ? 'yes' : 'not yet (npm run cli -- confirm-pilot ID)'}`,
        ].join('\n'),
      );
      return 0;
    },
  },

  'confirm-pilot': {
    usage: 'confirm-pilot ID',
    summary: "support's confirmation that the pilot worked (the customer confirms by the mailed link)",
    json: true,
    async run(ctx, { values, positionals, name }) {
      exactly(positionals, 1, name);
      const id = onboardingId(positionals[0], name);
      const pilot = await ctx.api().request('POST', onboardingPath(id, '/pilot/confirm'), pilotResponse);
      print(
        ctx,
        values,
        pilot,
        `Support confirmed the pilot. Customer confirmed: ${pilot.customerConfirmed ? 'yes' : 'not yet (waiting for the mailed approval)'}`,
      );
      return 0;
    },
  },

  migrate: {
    usage: 'migrate ID domain D | users SID… | accounts SID… [--draft]',
    summary: 'build the migration list; the customer reviews it by the mailed link (--draft: a preview, sent by send-list)',
    options: { draft: { type: 'boolean' } },
    json: true,
    async run(ctx, { values, positionals, name }) {
      const id = onboardingId(positionals[0], name);
      const [kind, ...rest] = positionals.slice(1);
      let source:
        | { method: 'domain'; domain: string }
        | { method: 'userSids'; userSids: string[] }
        | { method: 'accountSids'; accountSids: string[] };
      if (kind === 'domain' && rest.length === 1 && rest[0]) source = { method: 'domain', domain: rest[0] };
      else if (kind === 'users' && rest.length > 0) source = { method: 'userSids', userSids: rest };
      else if (kind === 'accounts' && rest.length > 0) source = { method: 'accountSids', accountSids: rest };
      else throw new UsageError('say who is on the list: domain D, users SID…, or accounts SID…', name);
      const draft = values.draft === true;
      const list = await ctx.api().request('POST', onboardingPath(id, '/migration-list'), migrationSchema, {
        json: { ...source, ...(draft ? { send: false } : {}) },
      });
      print(ctx, values, list, listReport(list, draft ? `A draft: send it for review with send-list ${list.listId}.` : undefined));
      return 0;
    },
  },

  'send-list': {
    usage: 'send-list LIST_ID',
    summary: 'send a draft migration list (migrate --draft) to the customer for review',
    json: true,
    async run(ctx, { values, positionals, name }) {
      exactly(positionals, 1, name);
      const listId = positionals[0] ?? '';
      if (!isId('migrationList', listId)) throw new UsageError(`LIST_ID is ${describeId('migrationList')}`, name);
      const list = await ctx.api().request('POST', `/api/migration-lists/${listId}/send`, migrationSchema);
      print(ctx, values, list, listReport(list));
      return 0;
    },
  },

  cancel: {
    usage: 'cancel ID --reason TEXT [--revert-to enabled|none|keep]',
    summary: 'cancel an onboarding; users it enforced go back to enabled unless --revert-to says otherwise',
    options: { reason: { type: 'string' }, 'revert-to': { type: 'string' } },
    json: true,
    async run(ctx, { values, positionals, name }) {
      exactly(positionals, 1, name);
      const id = onboardingId(positionals[0], name);
      const reason = required(values, 'reason', name);
      const revertTo = string(values, 'revert-to');
      const parsedRevert = cancelBody.shape.revertTo.safeParse(revertTo);
      if (!parsedRevert.success) throw new UsageError('--revert-to must be enabled, none or keep', name);
      const cancelled = await ctx
        .api()
        .request('POST', onboardingPath(id, '/cancel'), cancelledResponse, { json: { reason, revertTo: parsedRevert.data } });
      print(ctx, values, cancelled, `Cancelled ${cancelled.id}: ${cancelled.cancelReason ?? reason} (stage ${cancelled.stage}).`);
      return 0;
    },
  },

  watch: {
    usage: 'watch ID [--interval MS]',
    summary: 'follow an onboarding until it completes (exit 0) or is cancelled (exit 4), with a progress bar while enabling or enforcing',
    options: { interval: { type: 'string' } },
    async run(ctx, { values, positionals, name }) {
      exactly(positionals, 1, name);
      const id = onboardingId(positionals[0], name);
      const interval = string(values, 'interval') ?? '1000';
      if (!/^\d+$/.test(interval) || Number(interval) < 50) throw new UsageError('--interval is milliseconds, at least 50', name);
      return await watchOnboarding(ctx, id, Number(interval));
    },
  },
};

function listReport(list: z.infer<typeof migrationSchema>, next = 'The customer reviews it by the link mailed to them.'): string {
  return [
    `Migration list ${list.listId} v${list.version} (${list.status}): ${list.total} users, ${list.flagged} flagged, ${list.excluded} excluded.`,
    ...list.problems.map((p) => `${p.code}: ${p.message}`),
    next,
  ].join('\n');
}
