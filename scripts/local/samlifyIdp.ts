// `npm run dev`'s demo IdP where SimpleSAMLphp is not installed: samlify (an npm SAML library independent
// of our SP code, node-saml and xml-crypto's verification paths) acting as the IdP, behind a small login form.
// Development only: it trusts any SP of this service (entity ID `<prefix><id>/metadata`, ACS `<prefix><id>/acs`),
// knows a fixed list of users with one password, and signs the whole Response with RSA-SHA256.
import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { inflateRawSync } from 'node:zlib';
import * as samlify from 'samlify';
import { html, safeHref } from '../../api/pages/html.js';
import type { SelfSignedCertificate } from './selfSigned.js';

const emailFormat = 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress';
/** An AuthnRequest (base64, as it arrives) larger than this is refused before it is decoded. */
const maxRequestChars = 16_384;
const maxBodyBytes = 32_768;

// samlify wants an XSD validator before it parses anything. This IdP parses only AuthnRequests whose
// Issuer is one of this service's SPs (checked first, below) with samlify's XXE-safe parser; the schema
// check adds nothing for a local demo and its validators need Java or native modules.
samlify.setSchemaValidator({ validate: async () => 'skipped: the demo IdP trusts only this service' });

export interface SamlifyIdp {
  baseUrl: string;
  /** The IdP's entity ID, which is also its metadata URL. */
  entityId: string;
  ssoUrl: string;
  certificatePem: string;
  metadataXml: string;
  stop(): Promise<void>;
}

export interface SamlifyIdpOptions {
  port: number;
  certificate: SelfSignedCertificate;
  /** Every SP whose entity ID is `<prefix><id>/metadata` is trusted. */
  trustServiceProvidersUnder: string;
  users: string[];
  password: string;
}

function readBody(req: IncomingMessage): Promise<URLSearchParams> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBodyBytes) {
        reject(new Error('body too large'));
        req.destroy();
      } else chunks.push(chunk);
    });
    req.on('end', () => resolve(new URLSearchParams(Buffer.concat(chunks).toString('utf8'))));
    req.on('error', reject);
  });
}

/** The AuthnRequest's Issuer, read before samlify sees the request (which needs the SP to parse it). */
function issuerOf(samlRequest: string, deflated: boolean): string | undefined {
  if (samlRequest.length > maxRequestChars) return undefined;
  try {
    const bytes = Buffer.from(samlRequest, 'base64');
    const xml = (deflated ? inflateRawSync(bytes, { maxOutputLength: 65_536 }) : bytes).toString('utf8');
    return /<(?:[A-Za-z0-9_-]+:)?Issuer[^>]*>([^<]{1,1024})</.exec(xml)?.[1]?.trim();
  } catch {
    return undefined;
  }
}

const page = (title: string, body: ReturnType<typeof html>) =>
  html`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:26rem;margin:4rem auto;padding:0 1rem}label{display:block;margin:.8rem 0 .2rem}
input{width:100%;padding:.5rem;box-sizing:border-box}button{margin-top:1rem;padding:.5rem 1rem}.error{color:#b42318}</style></head>
<body>${body}</body></html>`.value;

export async function startSamlifyIdp(options: SamlifyIdpOptions): Promise<SamlifyIdp> {
  const server: Server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const baseUrl = `http://127.0.0.1:${port}`;
  const entityId = `${baseUrl}/metadata`;
  const ssoUrl = `${baseUrl}/sso`;
  const idp = samlify.IdentityProvider({
    entityID: entityId,
    privateKey: options.certificate.privateKeyPem,
    signingCert: options.certificate.certificatePem,
    nameIDFormat: [emailFormat],
    singleSignOnService: [
      { Binding: samlify.Constants.namespace.binding.redirect, Location: ssoUrl },
      { Binding: samlify.Constants.namespace.binding.post, Location: ssoUrl },
    ],
  });
  const metadataXml = idp.getMetadata();
  const spPattern = new RegExp(
    `^${options.trustServiceProvidersUnder.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}[A-Za-z0-9_-]{1,80}/metadata$`,
  );
  const serviceProvider = (spEntityId: string) =>
    samlify.ServiceProvider({
      entityID: spEntityId,
      wantMessageSigned: true,
      wantAssertionsSigned: false,
      nameIDFormat: [emailFormat],
      assertionConsumerService: [
        { Binding: samlify.Constants.namespace.binding.post, Location: spEntityId.replace(/\/metadata$/, '/acs') },
      ],
    });
  const passwordMatches = (given: string) => {
    const a = Buffer.from(given);
    const b = Buffer.from(options.password);
    return a.length === b.length && timingSafeEqual(a, b);
  };

  const loginForm = (fields: Record<string, string>, problem?: string) =>
    page(
      'Demo IdP: sign in',
      html`<h1>Demo IdP</h1><p>A development identity provider (samlify). Users: ${options.users.join(', ')}.</p>
${problem && html`<p class="error" role="alert">${problem}</p>`}
<form method="post" action="${ssoUrl}">
${Object.entries(fields).map(([name, value]) => html`<input type="hidden" name="${name}" value="${value}">`)}
<label for="username">Email</label><input id="username" name="username" autocomplete="username" required>
<label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">Sign in</button></form>`,
    );

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const send = (status: number, type: string, body: string) => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', 'x-frame-options': 'DENY' });
      res.end(body);
    };
    const url = new URL(req.url ?? '/', baseUrl);
    if (req.method === 'GET' && url.pathname === '/metadata') return send(200, 'application/samlmetadata+xml', metadataXml);
    if (url.pathname !== '/sso' || (req.method !== 'GET' && req.method !== 'POST'))
      return send(404, 'text/plain; charset=utf-8', 'not found\n');

    const body = req.method === 'POST' ? await readBody(req) : new URLSearchParams();
    const form = req.method === 'POST' ? body : url.searchParams;
    const samlRequest = form.get('SAMLRequest') ?? '';
    const relayState = form.get('RelayState') ?? undefined;
    // From the SP, the Redirect binding deflates the request; the login form posts it back as it came.
    const deflated = (req.method === 'GET' || form.get('binding') === 'redirect') && samlRequest !== '';
    const spEntityId = issuerOf(samlRequest, deflated);
    if (!spEntityId || !spPattern.test(spEntityId)) {
      return send(
        400,
        'text/html; charset=utf-8',
        page('Demo IdP', html`<h1>Demo IdP</h1><p>This IdP signs in only to this service's SPs; the request names another (or none).</p>`),
      );
    }
    const fields: Record<string, string> = { SAMLRequest: samlRequest, binding: deflated ? 'redirect' : 'post' };
    if (relayState !== undefined) fields.RelayState = relayState;
    if (!form.has('username')) return send(200, 'text/html; charset=utf-8', loginForm(fields));

    const email = (form.get('username') ?? '').trim().toLowerCase();
    if (!options.users.includes(email) || !passwordMatches(form.get('password') ?? '')) {
      return send(401, 'text/html; charset=utf-8', loginForm(fields, 'Unknown user or wrong password.'));
    }
    const sp = serviceProvider(spEntityId);
    const parsed = await idp.parseLoginRequest(sp, deflated ? 'redirect' : 'post', {
      query: deflated ? { SAMLRequest: samlRequest } : {},
      body: deflated ? {} : { SAMLRequest: samlRequest },
    });
    const response = (await idp.createLoginResponse(sp, { ...parsed }, 'post', { email }, { relayState })) as {
      context: string;
      entityEndpoint: string;
    };
    const acs = response.entityEndpoint;
    return send(
      200,
      'text/html; charset=utf-8',
      page(
        'Demo IdP: signing in',
        html`<p>Signed in as ${email}. Continue to the service.</p>
<form method="post" action="${safeHref(acs)}"><input type="hidden" name="SAMLResponse" value="${response.context}">
${relayState !== undefined && html`<input type="hidden" name="RelayState" value="${relayState}">`}
<button type="submit" autofocus>Continue</button></form>`,
      ),
    );
  }

  server.on('request', (req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (res.headersSent) return res.destroy();
      res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(`the demo IdP could not answer this request: ${error instanceof Error ? error.message : String(error)}\n`);
    });
  });

  return {
    baseUrl,
    entityId,
    ssoUrl,
    certificatePem: options.certificate.certificatePem,
    metadataXml,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
