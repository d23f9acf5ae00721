import type { NextFunction, Request, Response } from 'express';
import { AppError } from '../../lib/errors.js';
import { controlCharacterIn, controlCharacterMessage } from '../../lib/text.js';

// A C0 control or DEL, raw or percent-encoded, anywhere in the path or query. No URL of this service
// carries one, and a path parameter or query value with a NUL would otherwise reach PostgreSQL (which
// refuses NUL in text) or a log line. Checked on the raw URL once, before any route reads it.
const encodedControl = /%(?:[01][0-9a-f]|7f)/i;

export function refuseControlCharactersInUrl(req: Request, _res: Response, next: NextFunction): void {
  const url = req.originalUrl;
  const encoded = encodedControl.exec(url);
  const raw = controlCharacterIn(url);
  if (encoded === null && raw === undefined) {
    next();
    return;
  }
  const code = raw ?? Number.parseInt((encoded as RegExpExecArray)[0].slice(1), 16);
  next(new AppError('control_characters', 400, `The address ${controlCharacterMessage(code)}.`));
}
