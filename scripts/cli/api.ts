// The support API as the CLI sees it: one request function that turns every outcome into a value or one
// of two errors, so the entry point can map them to exit codes.
import type { z } from 'zod';

/** The API answered and said no: the contract's `{error: {code, message}}`, or the closest we can tell. */
export class ApiRefusal extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiRefusal';
  }
}

/** No answer at all: refused connection, unknown host, timeout. */
export class ApiUnreachable extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ApiUnreachable';
  }
}

export interface RequestOptions {
  json?: unknown;
  /** An XML document sent as application/samlmetadata+xml. */
  xml?: string;
  query?: Record<string, string | undefined>;
}

export interface SupportApi {
  baseUrl: string;
  request<T>(method: string, path: string, schema: z.ZodType<T>, options?: RequestOptions): Promise<T>;
}

/** What a command runs with: the API client, its output streams and a clock to wait by (scripts/cli/main.ts builds it). */
export interface CliContext {
  /** The support API client; asking for it checks API_URL and SUPPORT_API_TOKEN. */
  api(): SupportApi;
  out(text: string): void;
  err(text: string): void;
  /** Where the progress bar goes; redrawn in place only on a terminal. */
  progress: { isTTY?: boolean; write(text: string): unknown };
  sleep(ms: number): Promise<void>;
}

const requestTimeoutMs = 60_000;

function describeFailure(error: unknown): string {
  if (error instanceof Error && error.name === 'TimeoutError') return `no answer within ${requestTimeoutMs / 1000} s`;
  const cause = (error as { cause?: { code?: string; message?: string } })?.cause;
  return cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error));
}

function refusalOf(status: number, statusText: string, text: string): ApiRefusal {
  try {
    const { error } = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
    if (typeof error?.code === 'string' && typeof error.message === 'string') return new ApiRefusal(status, error.code, error.message);
  } catch {
    // Not the contract's error shape: a proxy or another service answered; say what came back.
  }
  return new ApiRefusal(status, `http_${status}`, `${statusText || 'error'} (not an answer of the support API)`);
}

export function supportApi({ baseUrl, token }: { baseUrl: string; token: string }): SupportApi {
  return {
    baseUrl,
    async request(method, path, schema, options = {}) {
      const url = new URL(path, baseUrl);
      for (const [name, value] of Object.entries(options.query ?? {})) if (value !== undefined) url.searchParams.set(name, value);
      const headers: Record<string, string> = { authorization: `Bearer ${token}`, accept: 'application/json' };
      let body: string | undefined;
      if (options.xml !== undefined) {
        headers['content-type'] = 'application/samlmetadata+xml';
        body = options.xml;
      } else if (options.json !== undefined) {
        headers['content-type'] = 'application/json';
        body = JSON.stringify(options.json);
      }
      let res: Response;
      let text: string;
      try {
        res = await fetch(url, { method, headers, body, signal: AbortSignal.timeout(requestTimeoutMs) });
        text = await res.text();
      } catch (error) {
        throw new ApiUnreachable(`cannot reach the support API at ${baseUrl}: ${describeFailure(error)}`);
      }
      if (!res.ok) throw refusalOf(res.status, res.statusText, text);
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        throw new ApiRefusal(
          res.status,
          'unexpected_response',
          `${method} ${url.pathname} did not answer with JSON: is ${baseUrl} the support API?`,
        );
      }
      const result = schema.safeParse(parsed);
      if (!result.success) {
        throw new ApiRefusal(res.status, 'unexpected_response', `${method} ${url.pathname} answered in a shape this CLI does not know`);
      }
      return result.data;
    },
  };
}
