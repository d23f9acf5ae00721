import type { Request, Response } from 'express';
import { sessionCookieName } from '../domain/sessions.js';

export function readCookie(req: Request, name: string): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const index = part.indexOf('=');
    if (index > 0 && part.slice(0, index).trim() === name) return decodeURIComponent(part.slice(index + 1).trim());
  }
  return undefined;
}

export function setSessionCookie(res: Response, token: string, expiresAt: Date, secure: boolean) {
  res.cookie(sessionCookieName, token, { httpOnly: true, sameSite: 'lax', secure, path: '/', expires: expiresAt });
}

export function clearSessionCookie(res: Response, secure: boolean) {
  res.clearCookie(sessionCookieName, { httpOnly: true, sameSite: 'lax', secure, path: '/' });
}

/**
 * RelayState only ever leads to a path on this site: anything with a scheme, a host, `//` or a
 * backslash (which browsers read as `/`) falls back to the console, so no login becomes an open redirect.
 */
export function localRedirectTarget(value: unknown, fallback = '/console'): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 1024) return fallback;
  if (!value.startsWith('/') || value.startsWith('//') || value.includes('\\')) return fallback;
  // Control characters (tab, CR, LF) are stripped by URL parsers and can turn a path into a host.
  for (const char of value) if (char.charCodeAt(0) < 0x20 || char.charCodeAt(0) === 0x7f) return fallback;
  try {
    const url = new URL(value, 'http://local.invalid');
    if (url.origin !== 'http://local.invalid') return fallback;
    return `${url.pathname}${url.search}${url.hash}`;
  } catch {
    return fallback;
  }
}

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** JSON for API clients and `Accept: application/json`; HTML only when the client prefers it. */
export function prefersJson(req: Request): boolean {
  if (req.path.startsWith('/api/')) return true;
  return req.accepts(['json', 'html']) !== 'html' || Boolean(req.is('application/json'));
}
