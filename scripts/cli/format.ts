// Text for people: the onboarding list as a table, one onboarding as labelled lines, progress bars.
import type { z } from 'zod';
import type { connectionDetailResponse, onboardingListItem, onboardingResponse } from '../../api/responses.js';

export type OnboardingListItem = z.infer<typeof onboardingListItem>;
export type Onboarding = z.infer<typeof onboardingResponse>;
export type ConnectionDetail = z.infer<typeof connectionDetailResponse>;

export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

export function onboardingTable(items: OnboardingListItem[]): string {
  if (items.length === 0) return 'No onboardings yet. Start one with: npm run cli -- start --customer NAME --admin EMAIL --domain D';
  return table(
    ['ID', 'STAGE', 'CUSTOMER', 'ADMIN', 'DOMAINS', 'UPDATED'],
    items.map((o) => [o.id, o.stage, o.customerName, o.adminEmail, o.emailDomains.join(','), o.updatedAt.slice(0, 19).replace('T', ' ')]),
  );
}

export function progressBar(done: number, total: number, width = 30): string {
  const ratio = total > 0 ? Math.min(1, done / total) : 0;
  const filled = Math.round(ratio * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(Math.floor(ratio * 100)).padStart(3)}% ${done}/${total}`;
}

const yesNo = (value: boolean) => (value ? 'yes' : 'no');
const labelled = (label: string, lines: string[]) =>
  lines.map((line, i) => `${(i === 0 ? label : '').padEnd(18)}${line}`.trimEnd()).join('\n');

export function onboardingDetail(o: Onboarding): string {
  const sections: string[] = [`${o.id}  ${o.customerName}`];
  sections.push(labelled('stage', [o.stage + (o.cancelReason ? ` (${o.cancelReason})` : '')]));
  sections.push(labelled('admin', [o.adminEmail]));
  sections.push(
    labelled(
      'domains',
      o.domains.map((d) =>
        d.verified ? `${d.domain}  verified (${d.method})` : `${d.domain}  not verified: publish TXT ${d.record.name} = ${d.record.value}`,
      ),
    ),
  );
  sections.push(
    labelled(
      'connection',
      o.connection
        ? [
            `${o.connection.id} (${o.connection.status === 'pending' && o.stage === 'config_intake' ? 'pending: waiting for the IdP configuration' : o.connection.status})`,
            `SP entity ID  ${o.connection.spEntityId}`,
            `ACS URL       ${o.connection.acsUrl}`,
            `SP metadata   ${o.connection.metadataUrl}`,
          ]
        : ['none yet: waiting for the IdP configuration'],
    ),
  );
  sections.push(labelled('problems', o.problems.length ? o.problems.map((p) => `${p.field}: ${p.message} [${p.code}]`) : ['none']));
  const pilotUsers = o.pilot.users.map((u) => `${u.email}  ${u.firstLoginAt ? `first SSO login ${u.firstLoginAt}` : 'no SSO login yet'}`);
  sections.push(
    labelled('pilot', [
      ...(pilotUsers.length ? pilotUsers : ['no pilot users yet']),
      ...(o.pilot.unknownEmails.length ? [`unknown emails: ${o.pilot.unknownEmails.join(', ')}`] : []),
      ...(o.pilot.refused ?? []).map((r) => `refused: ${r.message} [${r.code}]`),
      `customer confirmed: ${yesNo(o.pilot.customerConfirmed)}   support confirmed: ${yesNo(o.pilot.supportConfirmed)}`,
    ]),
  );
  const m = o.migration;
  sections.push(
    labelled(
      'migration',
      m
        ? [
            `list ${m.listId} v${m.version} by ${m.method}, ${m.status}: ${m.total} users, ${m.flagged} flagged, ${m.excluded} excluded`,
            ...m.problems.map((p) => `${p.code}: ${p.message}`),
          ]
        : ['no list yet'],
    ),
  );
  sections.push(
    labelled('progress', [
      `enabled   ${progressBar(o.progress.enabled, o.progress.total)}`,
      `enforced  ${progressBar(o.progress.enforced, o.progress.total)}`,
    ]),
  );
  sections.push(
    labelled(
      'pending approvals',
      o.pendingApprovals.length ? o.pendingApprovals.map((a) => `${a.step}  expires ${a.expiresAt}  ${a.url}`) : ['none'],
    ),
  );
  if (o.summary) {
    const c = o.summary.counts;
    sections.push(
      labelled('summary', [
        `${c.listed} listed, ${c.excluded} excluded, ${c.enabled} enabled, ${c.enforced} enforced, ${c.reverted} reverted`,
      ]),
    );
  }
  const recent = o.events.slice(-10).map((e) => `${e.at}  ${e.type}${e.detail ? `  ${e.detail}` : ''}`);
  sections.push(labelled('recent events', recent.length ? recent : ['none']));
  return sections.join('\n');
}

/** A certificate this close to its end is marked, as on the console's connection page. */
const expiringSoonDays = 30;

export function connectionDetail(c: ConnectionDetail): string {
  const idp = c.idp;
  const certificates = idp.certificates.map((cert) => {
    const mark =
      cert.state === 'retired' ? '' : cert.daysLeft < 0 ? '  EXPIRED' : cert.daysLeft <= expiringSoonDays ? '  EXPIRING SOON' : '';
    return [
      `${cert.state.padEnd(8)} ${cert.fingerprintSha256}${mark}`,
      `         ${cert.subject || '(subject unreadable)'}`,
      `         valid ${cert.notBefore.slice(0, 10)} to ${cert.notAfter.slice(0, 10)}, ${cert.daysLeft} days left`,
    ];
  });
  return [
    `${c.id}  ${c.status}${c.onboardingId ? `  (onboarding ${c.onboardingId})` : ''}`,
    labelled('SP side', [`entity ID     ${c.spEntityId}`, `ACS URL       ${c.acsUrl}`, `metadata      ${c.metadataUrl}`]),
    labelled('domains', [c.domains.join(', ') || 'none']),
    labelled('IdP side', [
      `vendor        ${idp.vendor}`,
      `entity ID     ${idp.entityId}`,
      `SSO URL       ${idp.ssoUrl} (${idp.ssoBinding})`,
      `logout URL    ${idp.logoutRedirectUrl ?? 'none'}`,
      `email from    ${idp.emailAttribute ? `attribute ${idp.emailAttribute}` : 'the NameID'}`,
      `metadata URL  ${idp.metadataUrl ?? 'none'}`,
    ]),
    labelled('certificates', certificates.length ? certificates.flat() : ['none']),
    labelled('last SSO login', [c.lastLoginAt ?? 'never']),
  ].join('\n');
}
