import { describe, expect, it } from 'vitest';
import { localRedirectTarget } from '../../api/http.js';

describe('localRedirectTarget', () => {
  it.each([
    ['/console', '/console'],
    ['/console?x=1#y', '/console?x=1#y'],
    ['/approvals/abc', '/approvals/abc'],
    ['/console/reports?from=2024-01-01&to=2024-02-01', '/console/reports?from=2024-01-01&to=2024-02-01'],
    ['/files/a%20b', '/files/a%20b'],
    ['/console?next=//evil.example', '/console?next=//evil.example'],
    ['/console/./reports', '/console/reports'],
    ['/console/../approvals/abc', '/approvals/abc'],
  ])('keeps the local path %j as %j', (value, expected) => {
    expect(localRedirectTarget(value)).toBe(expected);
  });

  it.each([
    ['another scheme', 'https://evil.example'],
    ['a scheme-relative URL', '//evil.example'],
    ['a script URL', 'javascript:alert(1)'],
    ['a relative path', 'console'],
    ['an empty string', ''],
    ['a dot segment before //', '/.//evil.example'],
    ['a parent segment before //', '/..//x'],
    ['an encoded dot segment before //', '/%2e//x'],
    ['an encoded parent segment before //', '/%2E%2E//x'],
    ['a parent segment after a path before //', '/console/..//x'],
    ['mixed encoded and plain dot segments before //', '/console/.%2e//x'],
    ['a backslash', '/\\evil.example'],
    ['a backslash after a dot segment', '/./\\evil.example'],
    ['an encoded backslash', '/%5cevil.example'],
    ['an encoded backslash (upper case)', '/%5Cevil.example'],
    ['encoded slashes', '/%2f%2fevil.example'],
    ['an encoded slash after a slash', '/%2Fevil.example/'],
    ['encoded dots and slashes', '/%2e%2e%2f%2fevil.example'],
    ['doubly encoded slashes', '/%252f%252fevil.example'],
    ['a raw tab', '/\t/evil.example'],
    ['a raw newline', '/\n/evil.example'],
    ['a raw carriage return', '/\r/evil.example'],
    ['an encoded tab', '/%09/evil.example'],
    ['an encoded newline', '/%0a/evil.example'],
    ['an encoded carriage return', '/%0D/evil.example'],
    ['a malformed escape in the path', '/%E0%A4%A'],
  ])('sends %s to /console', (_name, value) => {
    expect(localRedirectTarget(value)).toBe('/console');
  });

  it('falls back for what is not a string', () => {
    expect(localRedirectTarget(undefined)).toBe('/console');
    expect(localRedirectTarget(['/console/a'])).toBe('/console');
  });

  it('never returns a path a browser would read as another host', () => {
    const pieces = ['/', '.', '..', '%2e', '%2E', '%2f', '%5c', '\\', 'evil.example', '%09', '%252f'];
    const values: string[] = [];
    for (const a of pieces) for (const b of pieces) for (const c of pieces) values.push(`/${a}${b}/${c}`);
    for (const value of values) {
      const target = localRedirectTarget(value);
      const decoded = decodeURIComponent(decodeURIComponent(target));
      expect({ value, target, offSite: target.startsWith('//') || decoded.includes('\\') || decoded.startsWith('//') }).toMatchObject({
        offSite: false,
      });
    }
  });
});
