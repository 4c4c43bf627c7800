import { isErrorCode, type ErrorCode } from '../../shared/result';

/**
 * An expected failure with a code from the contract's closed union and a
 * sentence for people. Handlers throw it (or a module's own error class with
 * the same `code` field); the dispatcher turns it into a Result. Anything else
 * thrown is unexpected and becomes `internal`.
 */
export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'AppError';
  }
}

/** True for errors that carry a contract error code: AppError, and the store's or datasets' own classes. */
export function hasErrorCode(error: unknown): error is Error & { code: ErrorCode } {
  return error instanceof Error && isErrorCode((error as Error & { code?: unknown }).code);
}
