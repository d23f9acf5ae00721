// The setup guide for a customer's IdP administrator: each console's own field labels, filled in with our
// SP's real values, as structured steps (for pages) or plain text (for an email body). Issue #14, item 2.
import { type IdpVendor, idpVendorNames } from '../../contract/diagnosis.js';
import { guideSteps } from './guideSteps.js';

export interface SpValues {
  entityId: string;
  acsUrl: string;
  metadataUrl: string;
}

export type NameIdChoice = 'emailAddress' | 'unspecified';

export interface GuideOptions {
  /** The NameID format the connection asks for; emailAddress unless set otherwise. */
  nameIdFormat?: NameIdChoice;
}

export interface GuideField {
  label: string;
  value: string;
}

export interface GuideStep {
  title: string;
  fields: GuideField[];
  note?: string;
}

export interface SetupGuide {
  vendor: IdpVendor;
  name: string;
  intro: string;
  steps: GuideStep[];
}

export function setupGuide(vendor: IdpVendor, sp: SpValues, options: GuideOptions = {}): SetupGuide {
  const known: IdpVendor = Object.hasOwn(guideSteps, vendor) ? vendor : 'other';
  const entry = guideSteps[known];
  return {
    vendor: known,
    name: idpVendorNames[known],
    intro: entry.intro,
    steps: entry.steps(sp, options.nameIdFormat ?? 'emailAddress'),
  };
}

/** A multi-line value (a JSON block, a PowerShell line pair) is indented under its label. */
function fieldLine(field: GuideField): string {
  const [first = '', ...rest] = field.value.split('\n');
  return [`   ${field.label}: ${first}`, ...rest.map((line) => `     ${line}`)].join('\n');
}

/** The same guide as plain text: numbered steps with "Label: value" lines, for an email body. */
export function setupGuideText(vendor: IdpVendor, sp: SpValues, options: GuideOptions = {}): string {
  const guide = setupGuide(vendor, sp, options);
  const steps = guide.steps.map((step, index) =>
    [`${index + 1}. ${step.title}`, ...step.fields.map(fieldLine), ...(step.note ? [`   Note: ${step.note}`] : [])].join('\n'),
  );
  return [`Setting up single sign-on with ${guide.name}`, '', guide.intro, '', steps.join('\n\n'), ''].join('\n');
}
