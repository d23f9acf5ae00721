import type { UrlFault } from './urlGuard.js';

/** Checks report and carry on, so that one correction round can fix every problem at once. */
export type Report = (field: string, code: string, message: string) => void;

/** How the URL guard's findings read for each URL field. */
export const urlProblems = {
  ssoUrl: { label: 'the SSO URL', code: (fault: UrlFault) => `sso_url_${fault}` },
  logoutRedirectUrl: { label: 'the logout redirect URL', code: () => 'logout_url_invalid' },
  metadataUrl: { label: 'the metadata URL', code: (fault: UrlFault) => `metadata_url_${fault}` },
} as const;
