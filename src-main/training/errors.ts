import type { ErrorCode } from '../../shared/result';

/**
 * An expected failure of the training engine (a backend that is not there, a
 * checkpoint that does not fit the model, …): a stable code from the contract
 * and one sentence for the user. It crosses the worker boundary as
 * `{ name, message, code }`.
 */
export class TrainingError extends Error {
  override readonly name = 'TrainingError';
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
