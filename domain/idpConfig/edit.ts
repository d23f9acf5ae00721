// A live connection's IdP details changed by support (PATCH /api/connections/:id): the same rules as at
// intake for each field given, every problem at once. The entity ID and the certificates are not edited
// here (certificates have their own add and remove).
import type { Problem } from '../../contract/onboarding.js';
import type { SsoBinding } from '../../contract/vocabulary.js';
import { urlProblems } from './problems.js';
import { guardUrl, type UrlGuardOptions } from './urlGuard.js';

export interface ConnectionEdit {
  ssoUrl?: string;
  ssoBinding?: SsoBinding;
  /** null removes it. */
  logoutRedirectUrl?: string | null;
  /** null: the NameID carries the email again. */
  emailAttribute?: string | null;
  /** null: the IdP's metadata is no longer read from a URL. */
  metadataUrl?: string | null;
}

export type CheckedEdit = { ok: true; edit: ConnectionEdit } | { ok: false; problems: Problem[] };

/** The email attribute's rule, as validate.ts applies it at intake. */
export const emailAttributePattern = /^[^\s\p{C}]{1,256}$/u;

export async function checkConnectionEdit(edit: ConnectionEdit, options: UrlGuardOptions): Promise<CheckedEdit> {
  const problems: Problem[] = [];
  const urlFields = (['ssoUrl', 'logoutRedirectUrl', 'metadataUrl'] as const).filter((field) => typeof edit[field] === 'string');
  const checked = await Promise.all(urlFields.map((field) => guardUrl((edit[field] as string).trim(), options)));
  const clean: ConnectionEdit = { ...edit };
  urlFields.forEach((field, index) => {
    const result = checked[index];
    if (result?.ok) {
      clean[field] = (edit[field] as string).trim();
      return;
    }
    for (const { fault, message } of result?.findings ?? [])
      problems.push({ field, code: urlProblems[field].code(fault), message: `${urlProblems[field].label} ${message}` });
  });
  if (edit.ssoBinding !== undefined && edit.ssoBinding !== 'redirect' && edit.ssoBinding !== 'post')
    problems.push({ field: 'ssoBinding', code: 'unsupported_binding', message: 'ssoBinding must be "redirect" or "post"' });
  if (typeof edit.emailAttribute === 'string' && !emailAttributePattern.test(edit.emailAttribute))
    problems.push({
      field: 'emailAttribute',
      code: 'email_attribute_invalid',
      message: 'emailAttribute must be 1 to 256 printable characters without spaces',
    });
  return problems.length > 0 ? { ok: false, problems } : { ok: true, edit: clean };
}
