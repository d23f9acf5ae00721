// Fetching IdP metadata from the URL a customer gives: every hop through the URL guard, within a size
// and a time limit, from the very address the guard approved.
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { defaultMaxMetadataBytes } from './metadata.js';
import { type Report, urlProblems } from './problems.js';
import { guardUrl, type UrlGuardOptions } from './urlGuard.js';

/** What one GET answered; `tooLarge` when more than `maxBytes` arrived (the body is then cut short). */
export interface MetadataResponse {
  status: number;
  location: string | null;
  body: string;
  tooLarge: boolean;
}

/** One GET that follows no redirect and connects only to `address`, the one the URL guard approved. */
export type FetchMetadata = (request: { url: URL; address: string; maxBytes: number; signal: AbortSignal }) => Promise<MetadataResponse>;

export interface MetadataFetchOptions extends UrlGuardOptions {
  fetchMetadata?: FetchMetadata;
  maxMetadataBytes?: number;
  fetchTimeoutMs?: number;
}

export const defaultFetchTimeoutMs = 10_000;
const maxRedirects = 3;

/** The metadata document, or undefined when it could not be had (the reason is reported as a problem). */
export async function fetchMetadataDocument(raw: string, options: MetadataFetchOptions, problem: Report): Promise<string | undefined> {
  const maxBytes = options.maxMetadataBytes ?? defaultMaxMetadataBytes;
  const timeoutMs = options.fetchTimeoutMs ?? defaultFetchTimeoutMs;
  const signal = AbortSignal.timeout(timeoutMs);
  const fetchMetadata = options.fetchMetadata ?? fetchFromCheckedAddress;
  const failed = (code: string, message: string): undefined => {
    problem('metadataUrl', code, message);
  };
  let target = raw;
  // Redirects are followed by hand so that every hop passes the same guard as the URL submitted.
  for (let hop = 0; hop <= maxRedirects; hop++) {
    const checked = await guardUrl(target, options, signal);
    if (signal.aborted) return failed('metadata_timeout', `the metadata URL did not answer within ${timeoutMs} ms`);
    if (!checked.ok) {
      const label = hop === 0 ? urlProblems.metadataUrl.label : `the metadata URL redirects to ${target}, which`;
      for (const { fault, message } of checked.findings) failed(urlProblems.metadataUrl.code(fault), `${label} ${message}`);
      return undefined;
    }
    let response: MetadataResponse;
    try {
      response = await fetchMetadata({ url: checked.url, address: checked.address, maxBytes, signal });
    } catch (error) {
      if (signal.aborted) return failed('metadata_timeout', `the metadata URL did not answer within ${timeoutMs} ms`);
      const reason = error instanceof Error ? error.message : String(error);
      return failed('metadata_fetch_failed', `the metadata could not be fetched: ${reason}`);
    }
    if (response.tooLarge) return failed('metadata_too_large', `the metadata is larger than ${maxBytes} bytes`);
    if (response.status >= 300 && response.status < 400 && response.location) {
      const next = URL.parse(response.location, checked.url.href);
      if (!next) return failed('metadata_fetch_failed', 'the metadata URL redirects to an invalid location');
      target = next.href;
      continue;
    }
    if (response.status < 200 || response.status >= 300) {
      return failed('metadata_fetch_failed', `the metadata URL answered HTTP ${response.status}`);
    }
    return response.body;
  }
  return failed('metadata_fetch_failed', `the metadata URL redirects more than ${maxRedirects} times`);
}

/** One GET, pinned to the checked address so a second DNS answer cannot point it elsewhere (DNS rebinding). */
const fetchFromCheckedAddress: FetchMetadata = ({ url, address, maxBytes, signal }) =>
  new Promise((resolve, reject) => {
    const family = isIP(address);
    const pinned: LookupFunction = (_host, lookupOptions, callback) => {
      if (lookupOptions.all) callback(null, [{ address, family }]);
      else callback(null, address, family);
    };
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const headers = { accept: 'application/samlmetadata+xml, application/xml, text/xml' };
    const request = send(url, { agent: false, headers, lookup: pinned, signal }, (response) => {
      const status = response.statusCode ?? 0;
      const answer = (body: string, tooLarge: boolean) => resolve({ status, location: response.headers.location ?? null, body, tooLarge });
      const declared = Number(response.headers['content-length'] ?? 0);
      if (status < 200 || status >= 300 || declared > maxBytes) {
        response.destroy();
        return answer('', status >= 200 && status < 300);
      }
      const chunks: Buffer[] = [];
      let received = 0;
      response.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (received > maxBytes) {
          response.destroy();
          answer('', true);
        } else chunks.push(chunk);
      });
      response.on('end', () => answer(Buffer.concat(chunks).toString('utf8'), false));
      response.on('error', reject);
      response.on('close', () => {
        if (!response.complete) reject(new Error('the connection closed before the whole document arrived'));
      });
    });
    request.on('error', reject);
    request.end();
  });
