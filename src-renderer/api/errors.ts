import type { ApiError, ErrorCode } from '../../shared/result';

const fallback: Record<ErrorCode, string> = {
  invalid_argument: 'Some values are not valid.',
  unknown_command: 'This version of the app does not know that request; reload the page.',
  malformed_message: 'The request could not be read; reload the page.',
  payload_too_large: 'The request is too large.',
  unauthorized: 'The access token is wrong or missing; open the URL that `vae-studio serve` printed.',
  forbidden: 'This page may not use VAE Studio.',
  not_found: 'It no longer exists.',
  conflict: 'That is not possible right now.',
  invalid_input: 'The input could not be used.',
  io_error: 'Reading or writing the disk failed.',
  unavailable: 'That is not available here.',
  internal: 'Something went wrong inside VAE Studio; the details are in its log.',
};

/** A sentence for the user: the core's message when it has one, never a bare code. */
export function describeError(error: ApiError): string {
  return error.message.trim() !== '' ? error.message : fallback[error.code];
}
