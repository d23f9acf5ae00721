// One rule for control characters in text that comes from outside, shared by the request schemas, the
// form readers and the query-string guard. NUL and the other C0 controls (and DEL) are never data here:
// PostgreSQL refuses NUL in text (SQLSTATE 22021), log lines and mails split on CR/LF, and a tab or
// newline inside an identifier, URL or email is a disguise, not a value. Free text (a reason, a customer
// name's surroundings) may keep tab, line feed and carriage return.
import { AppError } from './errors.js';

const lineBreaksAndTab = new Set([0x09, 0x0a, 0x0d]);

/** The first control character in `value`, or undefined; `freeText` lets tab, LF and CR through. */
export function controlCharacterIn(value: string, freeText = false): number | undefined {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if ((code < 0x20 || code === 0x7f) && !(freeText && lineBreaksAndTab.has(code))) return code;
  }
  return undefined;
}

export const codePoint = (code: number) => `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;

export const controlCharacterMessage = (code: number) => `must not contain control characters (found ${codePoint(code)})`;

/**
 * Walks a parsed body or query (objects, arrays, strings; at most `maxNodes` of them, so a hostile
 * body cannot make the walk expensive) and refuses the first string with a control character, naming
 * where it was. Keys are checked as well as values.
 */
export function refuseControlCharacters(value: unknown, where: string, options: { freeText?: boolean; maxNodes?: number } = {}): void {
  const freeText = options.freeText ?? true;
  let budget = options.maxNodes ?? 500_000;
  const stack: [unknown, string][] = [[value, where]];
  while (stack.length > 0) {
    const [item, path] = stack.pop() as [unknown, string];
    if (--budget < 0) throw new AppError('invalid_request', 400, `${where} has too many fields`);
    if (typeof item === 'string') {
      const code = controlCharacterIn(item, freeText);
      if (code !== undefined) throw new AppError('control_characters', 400, `${path} ${controlCharacterMessage(code)}`, { field: path });
    } else if (Array.isArray(item)) {
      for (let i = item.length - 1; i >= 0; i--) stack.push([item[i], `${path}[${i}]`]);
    } else if (item !== null && typeof item === 'object') {
      for (const key of Object.keys(item)) {
        const code = controlCharacterIn(key, false);
        if (code !== undefined)
          throw new AppError('control_characters', 400, `a field name in ${path} ${controlCharacterMessage(code)}`, { field: path });
        stack.push([(item as Record<string, unknown>)[key], `${path}.${key}`]);
      }
    }
  }
}

/** Text as HTML content or a quoted attribute value: the five characters that could end either become entities. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
