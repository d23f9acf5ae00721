/**
 * The one error type that crosses layers: a stable snake_case code, the HTTP status it maps to,
 * and a message that is safe to show to the caller. Mapped to JSON or HTML in one middleware.
 */
export class AppError extends Error {
  constructor(
    readonly code: string,
    readonly httpStatus: number,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'AppError';
  }
}

export const notFound = (what: string) => new AppError('not_found', 404, `${what} not found`);
export const conflict = (code: string, message: string) => new AppError(code, 409, message);
