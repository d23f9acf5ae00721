// What an approval mail says about its step: the title, and the intro, facts and checklist of each
// step. Records and a switch over the steps, so a new approval step does not compile until it has its words.
import type { ApprovalContextFacts, ApprovalStep } from '../../contract/onboarding.js';

export interface StepContent {
  intro: string[];
  facts: [label: string, value: string][];
  checklist: string[];
}

export const stepTitle: Record<ApprovalStep, string> = {
  pilot: 'confirm the SSO pilot',
  migration_list: 'review the SSO migration list',
  go_ahead: 'give the go-ahead to enforce SSO',
};

export function approvalStepContent(step: ApprovalStep, customerName: string, ctx: ApprovalContextFacts): StepContent {
  const facts = (pairs: [string, number | undefined][]): [string, string][] =>
    pairs.filter((pair): pair is [string, number] => pair[1] !== undefined).map(([label, n]) => [label, String(n)]);
  switch (step) {
    case 'pilot':
      return {
        intro: [
          `${customerName}’s pilot users can now sign in to the console through your identity provider. Please confirm that the pilot worked.`,
        ],
        facts: ctx.pilotUsers?.length ? [['Pilot users', ctx.pilotUsers.join(', ')]] : [],
        checklist: [
          'each pilot user signed in through your identity provider and reached the console',
          'they were signed in as themselves (the right email address)',
        ],
      };
    case 'migration_list':
      return {
        intro: [
          `The migration list for ${customerName}, the people who will sign in to the console through your identity provider, is ready for your review.`,
        ],
        facts: facts([
          ['Users on the list', ctx.total],
          ['Flagged for review', ctx.flagged],
          ['List version', ctx.version],
        ]),
        checklist: [
          'everyone who should sign in through your identity provider is on the list',
          'nobody is on it who must keep a password, such as shared or service accounts',
          'flagged users (addresses outside your domains, or that look like aliases) are right, or excluded',
        ],
      };
    case 'go_ahead':
      return {
        intro: [
          `SSO is enabled for the users on ${customerName}’s approved migration list. With your go-ahead we will enforce it: they will then sign in only through your identity provider, and their console passwords will stop working.`,
        ],
        facts: facts([['Users to enforce', ctx.total]]),
        checklist: [
          'your identity provider assigns the console application to every one of these users',
          'your users know they will sign in through your identity provider from now on',
        ],
      };
  }
}
