import type { Request, Response } from 'express';
import { sessionCookieName } from '../domain/sessions.js';

export function readCookie(req: Request, name: string): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const index = part.indexOf('=');
    if (index > 0 && part.slice(0, index).trim() === name) {
      // A malformed escape (`%E0%A4%A`) is no cookie of ours, not a 500; a later one of the name may still be.
      try {
        return decodeURIComponent(part.slice(index + 1).trim());
      } catch {}
    }
  }
  return undefined;
}

export function setSessionCookie(res: Response, token: string, expiresAt: Date, secure: boolean) {
  res.cookie(sessionCookieName, token, { httpOnly: true, sameSite: 'lax', secure, path: '/', expires: expiresAt });
}

export function clearSessionCookie(res: Response, secure: boolean) {
  res.clearCookie(sessionCookieName, { httpOnly: true, sameSite: 'lax', secure, path: '/' });
}

const localBase = 'http://local.invalid';

/** A path a browser could read as another host: `//host`, a backslash (read as `/`), or a control character (stripped). */
function leadsOffSite(path: string): boolean {
  if (path.startsWith('//') || path.includes('\\')) return true;
  for (const char of path) if (char.charCodeAt(0) < 0x20 || char.charCodeAt(0) === 0x7f) return true;
  return false;
}

/** Rounds of percent-decoding checked; a path still changing after them is no path a page of ours links to. */
const decodingRounds = 3;

/**
 * RelayState only ever leads to a path on this site: anything with a scheme, a host, `//`, a backslash
 * or a control character falls back to the console, so no login becomes an open redirect. The check is
 * made on the normalised result, since the URL parser resolves dot segments (`/.//evil`, `/%2e%2e//evil`,
 * `/console/..//evil` all become `//evil`), and again on the path decoded, since a proxy or a later hop
 * that decodes `%2f%2f`, `%5c` or `%09` once would read those as the same thing.
 */
export function localRedirectTarget(value: unknown, fallback = '/console'): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 1024) return fallback;
  if (!value.startsWith('/') || leadsOffSite(value)) return fallback;
  let url: URL;
  try {
    url = new URL(value, localBase);
  } catch {
    return fallback;
  }
  if (url.origin !== localBase || leadsOffSite(url.pathname)) return fallback;
  let path = url.pathname;
  for (let round = 0; ; round++) {
    let decoded: string;
    try {
      decoded = decodeURIComponent(path);
    } catch {
      return fallback;
    }
    if (decoded === path) break;
    if (round === decodingRounds || leadsOffSite(decoded) || leadsOffSite(new URL(decoded, localBase).pathname)) return fallback;
    path = decoded;
  }
  return `${url.pathname}${url.search}${url.hash}`;
}

/** JSON for API clients and `Accept: application/json`; HTML only when the client prefers it. */
export function prefersJson(req: Request): boolean {
  if (req.path.startsWith('/api/')) return true;
  return req.accepts(['json', 'html']) !== 'html' || Boolean(req.is('application/json'));
}

/** Form charsets whose bytes read the same for the ASCII a percent-encoded form is (body-parser read these too). */
const acceptedFormCharsets = new Set(['utf-8', 'utf8', 'us-ascii', 'iso-8859-1', 'latin1']);

/**
 * Why a posted form cannot be read as it is, or undefined: a Content-Encoding (browsers never compress
 * a form they post, so it is refused rather than inflated) or a charset other than those above.
 */
export function unreadableFormEncoding(req: Request): string | undefined {
  const encoding = req.headers['content-encoding']?.trim().toLowerCase();
  if (encoding && encoding !== 'identity') return `Content-Encoding ${encoding}`.slice(0, 60);
  const charset = /;\s*charset\s*=\s*"?([^";\s]*)/i.exec(req.headers['content-type'] ?? '')?.[1]?.toLowerCase();
  if (charset !== undefined && !acceptedFormCharsets.has(charset)) return `charset ${charset}`.slice(0, 60);
  return undefined;
}
