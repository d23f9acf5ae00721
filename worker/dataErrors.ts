// PostgreSQL data errors (SQLSTATE class 22: a NUL byte in text, a value out of range, a malformed
// date...) say the input itself is wrong: running the activity again with the same input fails the
// same way, so retrying it only keeps the onboarding stuck. They fail the attempt for good, named.
import { ApplicationFailure } from '@temporalio/common';
import type { ActivityInboundCallsInterceptor, ActivityInterceptorsFactory } from '@temporalio/worker';

/** The SQLSTATE of a postgres.js error, or of the error it is wrapped in (drizzle wraps them), if class 22. */
export function dataErrorState(error: unknown): string | undefined {
  for (let e = error, depth = 0; e instanceof Error && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^22[0-9A-Z]{3}$/.test(code)) return code;
  }
  return undefined;
}

class DataErrorsAreFinal implements ActivityInboundCallsInterceptor {
  async execute(
    input: Parameters<NonNullable<ActivityInboundCallsInterceptor['execute']>>[0],
    next: Parameters<NonNullable<ActivityInboundCallsInterceptor['execute']>>[1],
  ) {
    try {
      return await next(input);
    } catch (error) {
      const state = dataErrorState(error);
      if (state === undefined) throw error;
      const message = error instanceof Error ? error.message : String(error);
      throw ApplicationFailure.create({
        type: 'invalid_data',
        nonRetryable: true,
        message: `PostgreSQL refused the data (SQLSTATE ${state}): ${message.slice(0, 300)}`,
        details: [{ sqlState: state }],
      });
    }
  }
}

export const dataErrorsAreFinal: ActivityInterceptorsFactory = () => ({ inbound: new DataErrorsAreFinal() });
