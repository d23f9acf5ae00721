// Real IdPs (issue #14): which one a connection runs on, its setup guide, and the fix for a failed check of a
// test sign-in in its own console's words. The vocabulary (vendor ids, check codes) is contract/diagnosis.ts.
export { detectVendor, type VendorEvidence } from './idpVendors/detect.js';
export { type FixContext, fixFor } from './idpVendors/fixes.js';
export { emailClaimUri, nameIdFormatUris, relyingPartyName } from './idpVendors/guideSteps.js';
export {
  type GuideField,
  type GuideOptions,
  type GuideStep,
  type NameIdChoice,
  type SetupGuide,
  type SpValues,
  setupGuide,
  setupGuideText,
} from './idpVendors/guides.js';
