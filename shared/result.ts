/**
 * Every API command resolves a {@link Result}: Electron keeps only an error's
 * message across IPC, so failures travel as values with a stable code.
 */

/** The closed set of error codes a command can fail with. */
export const errorCodes = [
  /** The command's argument did not match its schema. */
  'invalid_argument',
  /** No command of that name exists. */
  'unknown_command',
  /** A frame that is not JSON or not a request object. */
  'malformed_message',
  /** A frame larger than the transport accepts. */
  'payload_too_large',
  /** Missing or wrong per-launch token. */
  'unauthorized',
  /** A request from a page or window that is not the app's own. */
  'forbidden',
  /** The thing named does not exist (run, dataset, epoch…). */
  'not_found',
  /** The request conflicts with the current state (e.g. a run already running). */
  'conflict',
  /** Input data (a file, a dataset) is unreadable or invalid. */
  'invalid_input',
  /** Reading or writing the disk failed (read-only, full, permission). */
  'io_error',
  /** A needed part (backend, worker, display) is not available here. */
  'unavailable',
  /** An unexpected failure; details are in the main process log. */
  'internal',
] as const;

export type ErrorCode = (typeof errorCodes)[number];

/** A failure that crossed a process boundary: a stable code and a sentence for people. */
export interface ApiError {
  code: ErrorCode;
  message: string;
}

export type Result<T> = { ok: true; value: T } | { ok: false; error: ApiError };

/** Wraps a value as a successful {@link Result}. */
export function ok<T>(value: T): Result<T> {
  return { ok: true, value };
}

/** Wraps a code and message as a failed {@link Result}. */
export function err<T = never>(code: ErrorCode, message: string): Result<T> {
  return { ok: false, error: { code, message } };
}

/** True when `value` is one of {@link errorCodes}. */
export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && (errorCodes as readonly string[]).includes(value);
}
