// A form with a file (multipart/form-data, RFC 7578), read whole into memory under a byte limit and split
// by its boundary: the console's forms carry one small document (IdP metadata), never a stream worth a
// streaming parser, and the limit bounds the memory before any parsing starts.
import express, { type NextFunction, type Request, type Response } from 'express';
import { AppError } from '../lib/errors.js';

export interface MultipartFile {
  filename: string;
  content: string;
}

export interface MultipartBody {
  fields: Record<string, string>;
  files: Record<string, MultipartFile>;
}

const malformed = (why: string) => new AppError('malformed_body', 400, `The form could not be read: ${why}.`);

const boundaryOf = (contentType: string | undefined): string => {
  const match = /;\s*boundary=(?:"([^"]{1,70})"|([^\s;"]{1,70}))/i.exec(contentType ?? '');
  const boundary = match?.[1] ?? match?.[2];
  if (!boundary) throw malformed('it names no boundary');
  return boundary;
};

/** Splits a multipart body into its named fields and files; a repeated name, or more than `maxParts` parts, is refused. */
export function parseMultipart(body: Buffer, contentType: string | undefined, maxParts: number): MultipartBody {
  const delimiter = Buffer.from(`--${boundaryOf(contentType)}`);
  const result: MultipartBody = { fields: {}, files: {} };
  const seen = new Set<string>();
  let at = body.indexOf(delimiter);
  if (at < 0) throw malformed('its boundary never appears');
  for (let parts = 0; ; parts++) {
    at += delimiter.length;
    if (body.subarray(at, at + 2).toString() === '--') return result;
    if (parts >= maxParts) throw malformed(`it has more than ${maxParts} parts`);
    if (body.subarray(at, at + 2).toString() !== '\r\n') throw malformed('a boundary is not followed by a line break');
    const headersEnd = body.indexOf('\r\n\r\n', at + 2);
    const next = body.indexOf(Buffer.concat([Buffer.from('\r\n'), delimiter]), at + 2);
    if (headersEnd < 0 || next < 0 || headersEnd > next) throw malformed('a part is cut off');
    const headers = body.subarray(at + 2, headersEnd).toString('utf8');
    const disposition = /^content-disposition:\s*form-data(.*)$/im.exec(headers)?.[1] ?? '';
    const name = /;\s*name="([^"]*)"/i.exec(disposition)?.[1];
    if (!name) throw malformed('a part has no name');
    if (seen.has(name)) throw malformed(`the field ${name} is sent twice`);
    seen.add(name);
    const content = body.subarray(headersEnd + 4, next).toString('utf8');
    const filename = /;\s*filename="([^"]*)"/i.exec(disposition)?.[1];
    if (filename === undefined) result.fields[name] = content;
    else if (filename !== '' || content !== '') result.files[name] = { filename, content };
    at = next + 2;
  }
}

/**
 * Express middleware for a multipart form of at most `limit` (a body over it is a 413, as for every other
 * body): `req.body` becomes its fields, and `res.locals.uploadedFiles` its files by field name (a file input
 * left empty is left out). Compressed bodies are refused (415), as browsers never compress a form.
 */
export function multipartForm(options: { limit: string; maxParts: number }) {
  const raw = express.raw({ type: 'multipart/form-data', limit: options.limit, inflate: false });
  return (req: Request, res: Response, next: NextFunction) =>
    raw(req, res, (error?: unknown) => {
      if (error) return next(error);
      try {
        if (!Buffer.isBuffer(req.body)) throw malformed('it is not multipart/form-data');
        const parsed = parseMultipart(req.body, req.get('content-type'), options.maxParts);
        req.body = parsed.fields;
        res.locals.uploadedFiles = parsed.files;
        next();
      } catch (failure) {
        next(failure);
      }
    });
}
