// Live connections from the command line (issue #13, item 4): the same support API calls as the console's
// connection page, so a rotation or a switch-off can be done from a terminal, each with its reason.
import { readFile } from 'node:fs/promises';
import { certificateSchema, connectionDetailResponse, connectionDisabledResponse } from '../../api/responses.js';
import { describeId, isId, ssoBindings } from '../../contract/vocabulary.js';
import { type Command, exactly, print, required, string, UsageError } from './args.js';
import { connectionDetail } from './format.js';

/** IDs go into URL paths: only a connection ID's characters, never `..` or `/`. */
function connectionId(value: string | undefined, command: string): string {
  if (value === undefined) throw new UsageError('the connection ID is missing', command);
  if (!isId('connection', value))
    throw new UsageError(`${JSON.stringify(value)} is not a connection ID (${describeId('connection')})`, command);
  return value;
}

/** A certificate file as support saved it from the IdP (PEM or base64 DER); the API checks what it is. */
export async function readCertificateFile(path: string, command: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, command);
  }
}

const connectionPath = (id: string, action = '') => `/api/connections/${id}${action}`;
const reasonOption = { reason: { type: 'string' } } as const;

export const connectionCommands: Record<string, Command> = {
  connection: {
    usage: 'connection ID',
    summary: "a connection's SP and IdP sides, with every certificate's fingerprint, validity, days left and state",
    json: true,
    async run(ctx, { values, positionals, name }) {
      exactly(positionals, 1, name);
      const id = connectionId(positionals[0], name);
      const connection = await ctx.api().request('GET', connectionPath(id), connectionDetailResponse);
      print(ctx, values, connection, connectionDetail(connection));
      return 0;
    },
  },

  'connection-edit': {
    usage:
      "connection-edit ID [--sso-url U] [--binding redirect|post] [--logout-url U|''] [--email-attribute A|'']\n" +
      "      [--metadata-url U|''] --reason TEXT",
    summary: "change the IdP side of a connection in any stage ('' removes a logout URL, an attribute or a metadata URL); audited",
    options: {
      'sso-url': { type: 'string' },
      binding: { type: 'string' },
      'logout-url': { type: 'string' },
      'email-attribute': { type: 'string' },
      'metadata-url': { type: 'string' },
      ...reasonOption,
    },
    json: true,
    async run(ctx, { values, positionals, name }) {
      exactly(positionals, 1, name);
      const id = connectionId(positionals[0], name);
      const reason = required(values, 'reason', name);
      const binding = string(values, 'binding');
      if (binding !== undefined && !(ssoBindings as readonly string[]).includes(binding))
        throw new UsageError('--binding must be redirect or post', name);
      const orNull = (option: string) => {
        const value = string(values, option);
        return value === undefined ? undefined : value === '' ? null : value;
      };
      const edit = {
        ssoUrl: string(values, 'sso-url'),
        ssoBinding: binding,
        logoutRedirectUrl: orNull('logout-url'),
        emailAttribute: orNull('email-attribute'),
        metadataUrl: orNull('metadata-url'),
      };
      if (Object.values(edit).every((v) => v === undefined))
        throw new UsageError('name at least one change: --sso-url, --binding, --logout-url, --email-attribute or --metadata-url', name);
      const connection = await ctx.api().request('PATCH', connectionPath(id), connectionDetailResponse, { json: { ...edit, reason } });
      print(ctx, values, connection, `Connection ${id} changed.\n${connectionDetail(connection)}`);
      return 0;
    },
  },

  'certificate-add': {
    usage: 'certificate-add ID FILE --reason TEXT',
    summary: "add the IdP's new signing certificate (PEM or base64 DER file); it verifies logins at once",
    options: reasonOption,
    json: true,
    async run(ctx, { values, positionals, name }) {
      exactly(positionals, 2, name);
      const id = connectionId(positionals[0], name);
      const file = positionals[1];
      if (!file) throw new UsageError('name the certificate FILE', name);
      const reason = required(values, 'reason', name);
      const certificate = await readCertificateFile(file, name);
      const added = await ctx
        .api()
        .request('POST', connectionPath(id, '/certificates'), certificateSchema, { json: { certificate, reason } });
      print(
        ctx,
        values,
        added,
        [
          `Certificate added to ${id} (${added.state}): it verifies logins from now on.`,
          `  subject      ${added.subject}`,
          `  SHA-256      ${added.fingerprintSha256}`,
          `  valid until  ${added.notAfter} (${added.daysLeft} days left)`,
          `Once the IdP signs with it, retire the old one: npm run cli -- certificate-remove ${id} FINGERPRINT --reason …`,
        ].join('\n'),
      );
      return 0;
    },
  },

  'certificate-remove': {
    usage: 'certificate-remove ID FINGERPRINT --reason TEXT',
    summary: 'retire a signing certificate (SHA-256 fingerprint, as `connection ID` shows it); never the last current one',
    options: reasonOption,
    json: true,
    async run(ctx, { values, positionals, name }) {
      exactly(positionals, 2, name);
      const id = connectionId(positionals[0], name);
      // Accepted as IdP consoles and openssl print it too: AB:CD:… in capitals.
      const fingerprint = (positionals[1] ?? '').replaceAll(':', '').toLowerCase();
      if (!/^[0-9a-f]{64}$/.test(fingerprint)) throw new UsageError('FINGERPRINT is the SHA-256 fingerprint: 64 hex digits', name);
      const reason = required(values, 'reason', name);
      const connection = await ctx
        .api()
        .request('DELETE', connectionPath(id, `/certificates/${fingerprint}`), connectionDetailResponse, { json: { reason } });
      print(ctx, values, connection, `Certificate ${fingerprint} retired.\n${connectionDetail(connection)}`);
      return 0;
    },
  },

  'connection-disable': {
    usage: 'connection-disable ID --reason TEXT',
    summary: 'switch a connection off: its logins are refused (connection_disabled), its SSO sessions end, discovery skips it',
    options: reasonOption,
    json: true,
    async run(ctx, { values, positionals, name }) {
      exactly(positionals, 1, name);
      const id = connectionId(positionals[0], name);
      const reason = required(values, 'reason', name);
      const disabled = await ctx.api().request('POST', connectionPath(id, '/disable'), connectionDisabledResponse, { json: { reason } });
      print(
        ctx,
        values,
        disabled,
        `Connection ${id} disabled.${disabled.lockedOut > 0 ? ` ${disabled.lockedOut} enforced user${disabled.lockedOut === 1 ? '' : 's'} cannot sign in either way until it is enabled again.` : ''}`,
      );
      return 0;
    },
  },

  'connection-enable': {
    usage: 'connection-enable ID --reason TEXT',
    summary: 'switch a disabled connection on again (pending until its domains are verified)',
    options: reasonOption,
    json: true,
    async run(ctx, { values, positionals, name }) {
      exactly(positionals, 1, name);
      const id = connectionId(positionals[0], name);
      const reason = required(values, 'reason', name);
      const enabled = await ctx.api().request('POST', connectionPath(id, '/enable'), connectionDetailResponse, { json: { reason } });
      print(ctx, values, enabled, `Connection ${id} enabled (${enabled.status}).`);
      return 0;
    },
  },
};
