// Drive a SAML IdP's web login without a browser: plain fetch, a tiny cookie jar, and regexes over
// the HTML forms. Made for SimpleSAMLphp (see ./simplesamlphp.ts) but nothing here is specific to
// it beyond the flow: redirects -> login form (username, password, hidden fields such as AuthState)
// -> an auto-posting form that carries SAMLResponse (and RelayState) to the SP's ACS.

export interface IdpLoginResult {
  /** The form's action: where the browser would POST the response (the SP's ACS URL). */
  acsUrl: string;
  /** The SAMLResponse field exactly as posted (base64). */
  samlResponse: string;
  relayState?: string;
}

export interface IdpLoginOptions {
  /** Reuse a jar to keep the IdP session between logins (the second login then skips the form). */
  jar?: CookieJar;
  /** Maximum number of HTTP requests in one login (default 25). */
  maxSteps?: number;
}

/**
 * GET startUrl (an IdP-initiated URL, or an SSO URL carrying a SAMLRequest by the HTTP-Redirect
 * binding), log in, and return the SAMLResponse the IdP would auto-post to the SP.
 */
export async function loginAtIdp(
  startUrl: string,
  username: string,
  password: string,
  options: IdpLoginOptions = {},
): Promise<IdpLoginResult> {
  return await drive({ url: new URL(startUrl), method: 'GET' }, username, password, options);
}

/** The same for the HTTP-POST binding: POST the AuthnRequest form to the IdP's SSO URL first. */
export async function loginAtIdpByPost(
  ssoUrl: string,
  fields: { SAMLRequest: string; RelayState?: string },
  username: string,
  password: string,
  options: IdpLoginOptions = {},
): Promise<IdpLoginResult> {
  const body = new URLSearchParams({ SAMLRequest: fields.SAMLRequest });
  if (fields.RelayState !== undefined) body.set('RelayState', fields.RelayState);
  return await drive({ url: new URL(ssoUrl), method: 'POST', body }, username, password, options);
}

// ---------------------------------------------------------------------------------------------

interface PendingRequest {
  url: URL;
  method: 'GET' | 'POST';
  body?: URLSearchParams;
}

async function drive(first: PendingRequest, username: string, password: string, options: IdpLoginOptions): Promise<IdpLoginResult> {
  const jar = options.jar ?? new CookieJar();
  const maxSteps = options.maxSteps ?? 25;
  let request = first;
  let loginPosted = false;
  const trail: string[] = [];

  for (let step = 0; step < maxSteps; step++) {
    const response = await send(request, jar);
    trail.push(`${request.method} ${request.url.origin}${request.url.pathname} -> ${response.status}`);

    const location = response.headers.get('location');
    if (response.status >= 300 && response.status < 400 && location !== null) {
      await response.body?.cancel();
      const next = new URL(location, request.url);
      request =
        (response.status === 307 || response.status === 308) && request.body !== undefined
          ? { url: next, method: request.method, body: request.body }
          : { url: next, method: 'GET' };
      continue;
    }

    const html = await response.text();
    const forms = parseForms(html, request.url);

    const samlForm = forms.find((f) => f.fields.some((field) => field.name === 'SAMLResponse'));
    if (samlForm) {
      const samlResponse = fieldValue(samlForm, 'SAMLResponse') ?? '';
      const relayState = fieldValue(samlForm, 'RelayState');
      return relayState === undefined ? { acsUrl: samlForm.action, samlResponse } : { acsUrl: samlForm.action, samlResponse, relayState };
    }

    const loginForm = forms.find((f) => f.fields.some((field) => field.type === 'password'));
    if (loginForm) {
      if (loginPosted) {
        throw new Error(`IdP showed its login form again after the credentials were posted: ${summarize(html)}`);
      }
      const body = new URLSearchParams();
      for (const field of loginForm.fields) {
        if (field.type === 'password') body.append(field.name, password);
        else if (field.name === 'username') body.append(field.name, username);
        else if (field.type === 'hidden') body.append(field.name, field.value);
        else if ((field.type === 'checkbox' || field.type === 'radio') && field.checked) body.append(field.name, field.value);
      }
      if (!body.has('username')) body.set('username', username);
      loginPosted = true;
      request =
        loginForm.method === 'POST'
          ? { url: new URL(loginForm.action), method: 'POST', body }
          : { url: withQuery(new URL(loginForm.action), body), method: 'GET' };
      continue;
    }

    throw new Error(
      `unexpected page from the IdP (HTTP ${response.status} at ${request.url.toString()}): ${summarize(html)}\n` +
        `requests: ${trail.join(', ')}`,
    );
  }
  throw new Error(`IdP login did not finish within ${maxSteps} requests: ${trail.join(', ')}`);
}

async function send(request: PendingRequest, jar: CookieJar): Promise<Response> {
  const headers: Record<string, string> = { accept: 'text/html,application/xhtml+xml' };
  const cookie = jar.header(request.url);
  if (cookie !== undefined) headers.cookie = cookie;
  if (request.method === 'POST') headers['content-type'] = 'application/x-www-form-urlencoded';
  const response = await fetch(request.url, {
    method: request.method,
    headers,
    body: request.method === 'POST' ? (request.body ?? new URLSearchParams()).toString() : undefined,
    redirect: 'manual',
    signal: AbortSignal.timeout(15_000),
  });
  jar.store(request.url, response.headers.getSetCookie());
  return response;
}

function withQuery(url: URL, params: URLSearchParams): URL {
  const out = new URL(url);
  out.search = params.toString();
  return out;
}

// ---------------------------------------------------------------------------------------------
// Cookies

interface StoredCookie {
  name: string;
  value: string;
  domain: string;
  hostOnly: boolean;
  path: string;
  secure: boolean;
  expiresAt?: number;
}

/** A minimal RFC 6265 cookie jar: domain/host-only, path, Secure, Expires/Max-Age (deletion). */
export class CookieJar {
  private readonly cookies = new Map<string, StoredCookie>();

  store(url: URL, setCookieHeaders: readonly string[]): void {
    for (const header of setCookieHeaders) {
      const [pair = '', ...attributeParts] = header.split(';');
      const eq = pair.indexOf('=');
      if (eq <= 0) continue;
      const cookie: StoredCookie = {
        name: pair.slice(0, eq).trim(),
        value: pair.slice(eq + 1).trim(),
        domain: url.hostname.toLowerCase(),
        hostOnly: true,
        path: defaultPath(url),
        secure: false,
      };
      let maxAge: number | undefined;
      let expires: number | undefined;
      for (const part of attributeParts) {
        const i = part.indexOf('=');
        const key = (i < 0 ? part : part.slice(0, i)).trim().toLowerCase();
        const value = i < 0 ? '' : part.slice(i + 1).trim();
        if (key === 'domain' && value !== '') {
          const domain = value.replace(/^\./, '').toLowerCase();
          if (!domainMatches(url.hostname.toLowerCase(), domain)) continue; // a foreign domain: browsers ignore the cookie
          cookie.domain = domain;
          cookie.hostOnly = false;
        } else if (key === 'path' && value.startsWith('/')) {
          cookie.path = value;
        } else if (key === 'secure') {
          cookie.secure = true;
        } else if (key === 'max-age' && /^-?\d+$/.test(value)) {
          maxAge = Number(value);
        } else if (key === 'expires') {
          const t = Date.parse(value);
          if (!Number.isNaN(t)) expires = t;
        }
      }
      if (maxAge !== undefined) cookie.expiresAt = Date.now() + maxAge * 1000;
      else if (expires !== undefined) cookie.expiresAt = expires;

      const key = `${cookie.domain}|${cookie.path}|${cookie.name}`;
      if (cookie.expiresAt !== undefined && cookie.expiresAt <= Date.now()) this.cookies.delete(key);
      else this.cookies.set(key, cookie);
    }
  }

  /** The Cookie header value for a request to url, or undefined when no cookie applies. */
  header(url: URL): string | undefined {
    const host = url.hostname.toLowerCase();
    const now = Date.now();
    const matching: StoredCookie[] = [];
    for (const [key, cookie] of this.cookies) {
      if (cookie.expiresAt !== undefined && cookie.expiresAt <= now) {
        this.cookies.delete(key);
        continue;
      }
      if (cookie.hostOnly ? host !== cookie.domain : !domainMatches(host, cookie.domain)) continue;
      if (!pathMatches(url.pathname, cookie.path)) continue;
      if (cookie.secure && url.protocol !== 'https:') continue;
      matching.push(cookie);
    }
    if (matching.length === 0) return undefined;
    matching.sort((a, b) => b.path.length - a.path.length);
    return matching.map((c) => `${c.name}=${c.value}`).join('; ');
  }

  /** Names and values currently held (for assertions in tests). */
  list(): { name: string; value: string; domain: string; path: string }[] {
    return [...this.cookies.values()].map(({ name, value, domain, path }) => ({ name, value, domain, path }));
  }
}

function defaultPath(url: URL): string {
  const p = url.pathname;
  if (!p.startsWith('/') || p.lastIndexOf('/') === 0) return '/';
  return p.slice(0, p.lastIndexOf('/'));
}

function domainMatches(host: string, domain: string): boolean {
  return host === domain || (host.endsWith(`.${domain}`) && !/^\d+\.\d+\.\d+\.\d+$/.test(host));
}

function pathMatches(requestPath: string, cookiePath: string): boolean {
  if (requestPath === cookiePath) return true;
  if (!requestPath.startsWith(cookiePath)) return false;
  return cookiePath.endsWith('/') || requestPath.charAt(cookiePath.length) === '/';
}

// ---------------------------------------------------------------------------------------------
// HTML forms

export interface HtmlFormField {
  name: string;
  value: string;
  /** Lower-cased input type ("text" when absent). */
  type: string;
  checked: boolean;
}

export interface HtmlForm {
  /** Absolute URL the form submits to. */
  action: string;
  method: 'GET' | 'POST';
  fields: HtmlFormField[];
}

// A tag's attributes, allowing ">" inside quoted values.
const ATTRS = `((?:[^>"']|"[^"]*"|'[^']*')*)`;
const FORM_RE = new RegExp(`<form\\b${ATTRS}>([\\s\\S]*?)</form\\s*>`, 'gi');
const INPUT_RE = new RegExp(`<input\\b${ATTRS}>`, 'gi');
const ATTR_RE = /([^\s"'=<>`/]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?/g;

/** The forms of an HTML page with their <input> fields; actions resolved against pageUrl. */
export function parseForms(html: string, pageUrl: URL | string): HtmlForm[] {
  const base = new URL(pageUrl);
  const source = html.replace(/<!--[\s\S]*?-->/g, '');
  const forms: HtmlForm[] = [];
  for (const match of source.matchAll(FORM_RE)) {
    const attrs = parseAttributes(match[1] ?? '');
    const actionAttr = attrs.get('action');
    const action = actionAttr === undefined || actionAttr === '' ? new URL(base) : new URL(actionAttr, base);
    action.hash = '';
    const fields: HtmlFormField[] = [];
    for (const input of (match[2] ?? '').matchAll(INPUT_RE)) {
      const a = parseAttributes(input[1] ?? '');
      const name = a.get('name');
      if (name === undefined || name === '' || a.has('disabled')) continue;
      const type = (a.get('type') ?? 'text').toLowerCase();
      if (type === 'submit' || type === 'button' || type === 'image' || type === 'reset' || type === 'file') continue;
      fields.push({
        name,
        value: a.get('value') ?? (type === 'checkbox' || type === 'radio' ? 'on' : ''),
        type,
        checked: a.has('checked'),
      });
    }
    forms.push({
      action: action.toString(),
      method: (attrs.get('method') ?? 'get').toLowerCase() === 'post' ? 'POST' : 'GET',
      fields,
    });
  }
  return forms;
}

function parseAttributes(source: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of source.matchAll(ATTR_RE)) {
    const name = (m[1] ?? '').toLowerCase();
    if (name === '' || out.has(name)) continue;
    out.set(name, decodeHtmlEntities(m[2] ?? m[3] ?? m[4] ?? ''));
  }
  return out;
}

function fieldValue(form: HtmlForm, name: string): string | undefined {
  return form.fields.find((f) => f.name === name)?.value;
}

const NAMED_ENTITIES: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: '\u00a0',
};

export function decodeHtmlEntities(text: string): string {
  return text.replace(/&(#[xX][0-9a-fA-F]+|#\d+|[a-zA-Z]+);/g, (whole, body: string) => {
    if (body.startsWith('#')) {
      const code = body[1] === 'x' || body[1] === 'X' ? Number.parseInt(body.slice(2), 16) : Number.parseInt(body.slice(1), 10);
      return Number.isFinite(code) && code >= 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return NAMED_ENTITIES[body] ?? NAMED_ENTITIES[body.toLowerCase()] ?? whole;
  });
}

function summarize(html: string): string {
  const text = decodeHtmlEntities(
    html
      .replace(/<(script|style)\b[\s\S]*?<\/\1\s*>/gi, ' ')
      .replace(/<[^>]*>/g, ' ')
      .replace(/\s+/g, ' ')
      .trim(),
  );
  return text.length > 1500 ? `${text.slice(0, 1500)}…` : text;
}
