import type { ApprovalContextFacts, ApprovalStep } from '../../contract/onboarding.js';
import { escapeHtml } from '../../lib/text.js';
import { rotationStepsFor } from '../certificateRotationSteps.js';
import { approvalStepContent, stepTitle } from './approvalSteps.js';

export interface ApprovalRequestMail {
  kind: 'approval_request';
  customerName: string;
  step: ApprovalStep;
  url: string;
  /** ISO 8601 instant. */
  expiresAt: string;
  context?: ApprovalContextFacts;
}

export type MailMessage =
  | {
      kind: 'sp_details';
      customerName: string;
      spEntityId: string;
      acsUrl: string;
      metadataUrl: string;
      /** The DNS TXT record that proves each not yet verified email domain is the customer's. */
      domainRecords?: { domain: string; name: string; value: string }[];
      /** The administrator's setup page (guides per IdP, the IdP details form, the test sign-in). */
      setupUrl?: string;
      /** The first mail of an onboarding: the setup link, before the IdP details exist. */
      invitation?: boolean;
      /** The steps in the customer's own IdP console, once their IdP is known (domain/idpVendors.ts). */
      guide?: { idpName: string; steps: string[] };
    }
  | ApprovalRequestMail
  | (Omit<ApprovalRequestMail, 'kind'> & { kind: 'approval_reminder'; reminderNumber: number })
  /** To support staff; `url` is the onboarding's page in the support console, when there is one. */
  | { kind: 'approval_escalation'; customerName: string; step: ApprovalStep; waitingSince: string; url?: string }
  | { kind: 'sso_heads_up'; customerName: string; loginUrl: string }
  | {
      kind: 'onboarding_cancelled';
      customerName: string;
      reason: string | null;
      /** Users whose SSO the cancel put back, and those left enabled (their password works). */
      summary: { reverted: number; enabled: number };
      /** Whether the connection was switched off (it stays on while users are enforced on it). */
      connectionDisabled: boolean;
    }
  | {
      kind: 'onboarding_completed';
      customerName: string;
      /** `enabled` only in mails queued before `keepingPasswords` existed. */
      summary: { enforced: number; enabled?: number; excluded: number };
      /** Users who keep signing in with a password (enabled, not enforced), the first of them named. */
      keepingPasswords?: { count: number; emails: string[] };
      url?: string;
    }
  | CertificateMail;

export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
}

/** What a template says; `layout` turns it into the text and HTML parts so escaping lives in one place. */
interface Draft {
  subject: string;
  heading: string;
  intro: string[];
  facts?: [label: string, value: string][];
  checklistTitle?: string;
  checklist?: string[];
  action?: { label: string; url: string };
  outro?: string[];
}

export function renderMail(message: MailMessage): RenderedMail {
  return layout(draftFor(message));
}

function draftFor(message: MailMessage): Draft {
  switch (message.kind) {
    case 'sp_details':
      return spDetails(message);
    case 'approval_request':
      return approvalRequest(message);
    case 'approval_reminder':
      return reminder(message);
    case 'approval_escalation':
      return escalation(message);
    case 'sso_heads_up':
      return headsUp(message);
    case 'onboarding_completed':
      return completed(message);
    case 'onboarding_cancelled':
      return cancelled(message);
    case 'certificate_expiry_reminder':
      return certificateReminder(message);
    case 'certificate_changes':
      return certificateChanges(message);
    case 'metadata_refresh_failed':
      return metadataRefreshFailed(message);
  }
}

function spDetails(m: Extract<MailMessage, { kind: 'sp_details' }>): Draft {
  return {
    subject: m.invitation
      ? `Set up single sign-on for ${m.customerName}: your setup page`
      : `Action needed: configure your identity provider for ${m.customerName} console SSO`,
    heading: m.invitation ? 'Set up single sign-on to the console' : 'Set up the console in your identity provider',
    intro: [
      `To turn on single sign-on to the console for ${m.customerName}, add the console as a SAML 2.0 application (service provider) in your identity provider (IdP) with these details:`,
    ],
    facts: [
      ['SP entity ID (audience)', m.spEntityId],
      ['ACS URL (Security Token Consumer URL)', checkedUrl(m.acsUrl)],
      ['SP metadata', checkedUrl(m.metadataUrl)],
      ...(m.domainRecords ?? []).map((r): [string, string] => [`DNS TXT record for ${r.domain}`, `${r.name} with the value ${r.value}`]),
    ],
    checklistTitle: 'In the application settings, please make sure that:',
    checklist: [
      'the user’s email address is sent as the NameID (format emailAddress) or in an attribute such as email',
      'the SAML Response is signed, with SHA-256 or stronger',
      'the application is assigned at least to your pilot users',
      ...(m.guide ? m.guide.steps.map((step) => `In ${m.guide?.idpName}: ${step}`) : []),
      ...(m.domainRecords?.length
        ? [
            'each DNS TXT record above is published in your domain’s DNS, so we can check the domain is yours (pilot users can sign in only after that); tell your support contact once it is',
          ]
        : []),
    ],
    action: m.setupUrl ? { label: 'Open your setup page', url: m.setupUrl } : { label: 'Download the SP metadata', url: m.metadataUrl },
    outro: m.setupUrl
      ? [
          'The setup page has step-by-step instructions for Okta, Microsoft Entra ID, Google Workspace, AD FS, OneLogin, JumpCloud, PingFederate/PingOne, Keycloak and Auth0, a form to give us your IdP’s details (its metadata file or URL, or the fields), and a test sign-in that says exactly what to change if something is off.',
          `If your IdP can import metadata, ${m.metadataUrl} gives it everything at once. If anything is unclear, contact our support team.`,
        ]
      : ['If your IdP can import metadata, the link above gives it everything at once. If anything is unclear, contact our support team.'],
  };
}

function approvalRequest(m: Omit<ApprovalRequestMail, 'kind'>): Draft {
  const ctx = m.context ?? {};
  const step = approvalStepContent(m.step, m.customerName, ctx);
  return {
    subject: `Action needed: ${stepTitle[m.step]} for ${m.customerName}`,
    heading: capitalise(stepTitle[m.step]),
    intro: step.intro,
    facts: step.facts,
    checklistTitle: 'Before you approve, please check that:',
    checklist: step.checklist,
    action: { label: 'Open the approval page', url: m.url },
    outro: [
      'Opening the link only shows the page: nothing is approved until you press its button.',
      `The link works once and expires on ${formatUtc(m.expiresAt)}.`,
      'If you did not expect this email, do not use the link and tell our support team.',
    ],
  };
}

function reminder(m: Extract<MailMessage, { kind: 'approval_reminder' }>): Draft {
  const draft = approvalRequest(m);
  return {
    ...draft,
    subject: `Reminder ${m.reminderNumber}: ${stepTitle[m.step]} for ${m.customerName}`,
    intro: ['We are still waiting for your answer; the onboarding continues once you respond.', ...draft.intro],
  };
}

function escalation(m: Extract<MailMessage, { kind: 'approval_escalation' }>): Draft {
  return {
    subject: `Approval overdue: ${m.customerName} has not yet done "${stepTitle[m.step]}"`,
    heading: 'A customer approval is overdue',
    intro: [
      `${m.customerName}’s administrator was asked to ${stepTitle[m.step]} and has not answered since ${formatUtc(m.waitingSince)}.`,
      'Please contact the administrator, check that our emails reached them, and send a new approval link from the onboarding if the old one expired.',
    ],
    ...(m.url ? { action: { label: 'Open the onboarding', url: m.url } } : {}),
  };
}

function headsUp(m: Extract<MailMessage, { kind: 'sso_heads_up' }>): Draft {
  return {
    subject: `Soon you will sign in to the console with your ${m.customerName} account`,
    heading: 'Your console sign-in is changing',
    intro: [
      `${m.customerName} is moving the console to single sign-on. Soon you will sign in through your company’s identity provider, with your usual company account, instead of with a console password.`,
    ],
    checklistTitle: 'What to do:',
    checklist: [
      'from now on, use the link below (or enter your work email on the login page) and sign in with your company account',
      'once SSO is enforced for you, your console password stops working',
      'if you cannot sign in through your company account, contact your company’s IT helpdesk',
    ],
    action: { label: 'Sign in with your company account', url: m.loginUrl },
  };
}

function cancelled(m: Extract<MailMessage, { kind: 'onboarding_cancelled' }>): Draft {
  return {
    subject: `SSO onboarding cancelled for ${m.customerName}`,
    heading: 'The SSO onboarding was cancelled',
    intro: [
      `Our support team cancelled the SSO onboarding for ${m.customerName}${m.reason ? `: ${m.reason}` : '.'}`,
      m.connectionDisabled
        ? 'Single sign-on through your identity provider is switched off; everyone signs in with their password as before.'
        : 'Single sign-on stays on for the users who were already enforced, so nobody is locked out.',
    ],
    facts: [
      ['Users put back as they were', String(m.summary.reverted)],
      ['Users still enabled (password works)', String(m.summary.enabled)],
    ],
    outro: ['Nothing is needed from you. When you are ready to try again, your support contact can start a new onboarding.'],
  };
}

function completed(m: Extract<MailMessage, { kind: 'onboarding_completed' }>): Draft {
  const keepers = m.keepingPasswords;
  return {
    subject: `SSO onboarding complete for ${m.customerName}`,
    heading: 'Single sign-on is in place',
    intro: [
      `The SSO onboarding for ${m.customerName} is complete.`,
      ...(keepers && keepers.count > 0
        ? [
            `${keepers.count} ${keepers.count === 1 ? 'user keeps' : 'users keep'} signing in with a password, as they were not on the approved list or were excluded: ${keepers.emails.join(', ')}${keepers.count > keepers.emails.length ? `, and ${keepers.count - keepers.emails.length} more` : ''}. They can also sign in through your identity provider.`,
          ]
        : []),
    ],
    facts: [
      ['SSO enforced (IdP sign-in only)', String(m.summary.enforced)],
      ['SSO enabled (password still works)', String(keepers?.count ?? m.summary.enabled ?? 0)],
      ['Excluded from the migration', String(m.summary.excluded)],
    ],
    ...(m.url ? { action: { label: 'See the onboarding summary', url: m.url } } : {}),
    outro: [
      'There is nothing more you need to do. If a user cannot sign in, check that your identity provider assigns them the console application; our support team can temporarily restore password sign-in for a user.',
    ],
  };
}

/** The certificate lifecycle's mails (domain/certificateLifecycle.ts). */
export type CertificateMail =
  | {
      kind: 'certificate_expiry_reminder';
      customerName: string;
      connectionId: string;
      /** idpVendorOf's answer: which console's steps the mail gives. */
      vendor: string;
      fingerprintSha256: string;
      /** ISO 8601 instant. */
      notAfter: string;
      daysLeft: number;
    }
  /** To support: what the metadata refresh changed. */
  | {
      kind: 'certificate_changes';
      customerName: string;
      connectionId: string;
      metadataUrl: string;
      added: { fingerprintSha256: string; notAfter: string }[];
      promoted: { fingerprintSha256: string; notAfter: string }[];
      retired: { fingerprintSha256: string; notAfter: string }[];
    }
  | { kind: 'metadata_refresh_failed'; customerName: string; connectionId: string; metadataUrl: string; code: string; message: string };

function certificateReminder(m: Extract<MailMessage, { kind: 'certificate_expiry_reminder' }>): Draft {
  const rotation = rotationStepsFor(m.vendor);
  const when = m.daysLeft <= 0 ? 'in less than a day' : `in ${m.daysLeft} ${m.daysLeft === 1 ? 'day' : 'days'}`;
  return {
    subject: `Action needed: the SSO signing certificate of ${m.customerName} expires ${when}`,
    heading: 'Your identity provider’s signing certificate expires soon',
    intro: [
      `The last signing certificate we have on file for ${m.customerName}’s identity provider (${rotation.vendorName}) expires ${when}, on ${formatUtc(m.notAfter)}. After that nobody can sign in to the console through single sign-on until a new certificate is on file.`,
    ],
    facts: [
      ['Certificate (SHA-256 fingerprint)', m.fingerprintSha256],
      ['Expires', formatUtc(m.notAfter)],
      ['Connection', m.connectionId],
    ],
    checklistTitle: `What to do in ${rotation.vendorName}:`,
    checklist: rotation.steps,
    outro: [
      'We remind you again as the date comes closer, until a newer certificate is on file. If you have questions, contact our support team.',
    ],
  };
}

function certificateChanges(m: Extract<MailMessage, { kind: 'certificate_changes' }>): Draft {
  const line = (c: { fingerprintSha256: string; notAfter: string }) => `${c.fingerprintSha256} (valid until ${formatUtc(c.notAfter)})`;
  return {
    subject: `Signing certificates of ${m.customerName} changed from their IdP metadata`,
    heading: 'The IdP metadata changed the connection’s signing certificates',
    intro: [`Reading ${m.customerName}’s IdP metadata from ${m.metadataUrl} changed connection ${m.connectionId}:`],
    checklist: [
      ...m.added.map((c) => `added as next (verifies sign-ins now): ${line(c)}`),
      ...m.promoted.map((c) => `now current: ${line(c)}`),
      ...m.retired.map((c) => `retired (gone from the metadata for the whole grace period): ${line(c)}`),
    ],
    outro: ['Nothing is needed unless the change was not expected: then check the connection in the support console.'],
  };
}

function metadataRefreshFailed(m: Extract<MailMessage, { kind: 'metadata_refresh_failed' }>): Draft {
  return {
    subject: `Could not read the IdP metadata of ${m.customerName}`,
    heading: 'The IdP metadata refresh failed',
    intro: [
      `Reading ${m.customerName}’s IdP metadata from ${m.metadataUrl} (connection ${m.connectionId}) failed: ${m.message} (${m.code}).`,
      'The connection keeps its certificates and sign-ins go on; new certificates the IdP publishes are not picked up until the metadata can be read again. We retry at every refresh and mail again only if the failure changes.',
    ],
    outro: ['Check the metadata URL with the customer and correct it on the connection if it moved.'],
  };
}

function layout(d: Draft): RenderedMail {
  const action = d.action && { label: d.action.label, url: checkedUrl(d.action.url) };
  const text = [
    d.heading,
    ...d.intro,
    d.facts?.length ? d.facts.map(([label, value]) => `${label}: ${value}`).join('\n') : undefined,
    d.checklist?.length ? [d.checklistTitle, ...d.checklist.map((item) => `- ${item}`)].filter(Boolean).join('\n') : undefined,
    action ? `${action.label}:\n${action.url}` : undefined,
    ...(d.outro ?? []),
  ]
    .filter((block): block is string => Boolean(block))
    .join('\n\n');

  const p = (content: string) => `<p style="margin:0 0 14px">${content}</p>`;
  const html = [
    '<!doctype html>',
    '<html><head><meta charset="utf-8"></head>',
    '<body style="margin:0;padding:24px;background:#f4f5f7;font-family:Arial,Helvetica,sans-serif;font-size:15px;line-height:1.5;color:#1f2328">',
    '<div style="max-width:560px;margin:0 auto;padding:24px;background:#ffffff;border:1px solid #d8dde3;border-radius:6px">',
    `<h1 style="margin:0 0 16px;font-size:19px">${escapeHtml(d.heading)}</h1>`,
    ...d.intro.map((para) => p(escapeHtml(para))),
    d.facts?.length
      ? `<table role="presentation" style="margin:0 0 14px;border-collapse:collapse">${d.facts
          .map(
            ([label, value]) =>
              `<tr><td style="padding:2px 12px 2px 0;color:#57606a;vertical-align:top">${escapeHtml(label)}</td><td style="padding:2px 0;font-family:Consolas,monospace;word-break:break-all">${escapeHtml(value)}</td></tr>`,
          )
          .join('')}</table>`
      : '',
    d.checklist?.length
      ? `${d.checklistTitle ? p(escapeHtml(d.checklistTitle)) : ''}<ul style="margin:0 0 14px;padding-left:20px">${d.checklist
          .map((item) => `<li>${escapeHtml(item)}</li>`)
          .join('')}</ul>`
      : '',
    action
      ? `<p style="margin:22px 0"><a href="${escapeHtml(action.url)}" style="display:inline-block;padding:11px 20px;background:#1f6feb;color:#ffffff;font-weight:bold;text-decoration:none;border-radius:5px">${escapeHtml(action.label)}</a></p>` +
        `<p style="margin:0 0 14px;font-size:13px;color:#57606a">If the button does not work, copy this address into your browser:<br><a href="${escapeHtml(action.url)}" style="color:#1f6feb;word-break:break-all">${escapeHtml(action.url)}</a></p>`
      : '',
    ...(d.outro ?? []).map((para) => p(escapeHtml(para))),
    '</div></body></html>',
  ]
    .filter(Boolean)
    .join('\n');

  // A customer name is free text: a line break in it must not start a new header line.
  return { subject: d.subject.replace(/\s+/g, ' ').trim(), text: `${text}\n`, html: `${html}\n` };
}

/** Links come from our own config, but a `javascript:` or relative URL in a mail is never right: refuse to render it. */
function checkedUrl(value: string): string {
  const url = URL.canParse(value) ? new URL(value) : undefined;
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:'))
    throw new Error(`mail link is not an absolute http(s) URL: ${value}`);
  return value;
}

const weekdays = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const months = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/** "Tuesday 4 March 2025, 14:05 UTC": spelled out so no reader confuses day and month, and in UTC because we cannot know theirs. */
export function formatUtc(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) throw new Error(`not a date: ${iso}`);
  const time = `${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}`;
  return `${weekdays[d.getUTCDay()]} ${d.getUTCDate()} ${months[d.getUTCMonth()]} ${d.getUTCFullYear()}, ${time} UTC`;
}

const capitalise = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
