// Reading untrusted XML, shared by the SAML response checks (domain/saml/) and IdP metadata intake
// (domain/idpConfig/): both must refuse malformed documents and read elements the same careful way.
import { DOMParser } from '@xmldom/xmldom';

/** XML Signature: SAML responses carry their signature in it, IdP metadata its signing keys. */
export const xmldsigNamespace = 'http://www.w3.org/2000/09/xmldsig#';

/**
 * Parses with every complaint sent to `fail`, warnings included: xmldom 0.8 reports unclosed and
 * mismatched tags only as warnings, and neither a signed document nor metadata may be malformed.
 * `fail` may throw to stop at the first complaint, or note it and let the parse finish.
 */
export function parseXmlStrictly(xml: string, fail: (message: string) => void): Document | undefined {
  return new DOMParser({ locator: {}, errorHandler: { warning: fail, error: fail, fatalError: fail } }).parseFromString(xml, 'text/xml');
}

export function childElements(parent: Element, namespace: string, localName: string): Element[] {
  const out: Element[] = [];
  for (let node = parent.firstChild; node; node = node.nextSibling) {
    if (node.nodeType === 1) {
      const el = node as Element;
      if (el.localName === localName && el.namespaceURI === namespace) out.push(el);
    }
  }
  return out;
}

export function onlyChild(parent: Element, namespace: string, localName: string): Element | undefined {
  const found = childElements(parent, namespace, localName);
  return found.length === 1 ? found[0] : undefined;
}

/**
 * Text of an element without comments: `a@x.com<!---->.evil` reads as the whole string, never a prefix.
 * Only XML's own whitespace (space, tab, CR, LF) is trimmed: String.trim would also remove Unicode
 * spaces such as U+00A0 or U+3000, letting `\u00A0alice@x.com` stand for alice@x.com.
 */
export function textOf(el: Element | undefined): string | undefined {
  const text = rawTextOf(el);
  if (text === undefined) return undefined;
  // By hand: /[ \t\r\n]+$/ takes quadratic time on a long run of spaces followed by anything else.
  const xmlSpace = (i: number) => text[i] === ' ' || text[i] === '\t' || text[i] === '\r' || text[i] === '\n';
  let start = 0;
  let end = text.length;
  while (start < end && xmlSpace(start)) start++;
  while (end > start && xmlSpace(end - 1)) end--;
  return text.slice(start, end);
}

function rawTextOf(el: Element | undefined): string | undefined {
  if (!el) return undefined;
  let text = '';
  for (let node = el.firstChild; node; node = node.nextSibling) {
    if (node.nodeType === 3 || node.nodeType === 4) text += node.nodeValue ?? '';
    else if (node.nodeType === 1) text += rawTextOf(node as Element) ?? '';
  }
  return text;
}
