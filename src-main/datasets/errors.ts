/** What kind of failure a {@link DatasetError} is; a subset of the API's error codes. */
export type DatasetErrorCode = 'invalid_input' | 'not_found' | 'conflict' | 'io_error' | 'payload_too_large';

/**
 * An expected failure of the datasets module: a stable `code` and one sentence
 * for the user saying what was wrong and what to do. API handlers turn it into
 * a failed `Result` as is; anything else thrown from here is a bug.
 */
export class DatasetError extends Error {
  override readonly name = 'DatasetError';
  readonly code: DatasetErrorCode;

  constructor(code: DatasetErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** The Node error code of a file-system error (`ENOENT`, `EACCES`, …), if any. */
export function fsErrorCode(error: unknown): string | undefined {
  if (typeof error === 'object' && error !== null && 'code' in error) {
    const code = error.code;
    return typeof code === 'string' ? code : undefined;
  }
  return undefined;
}

/**
 * Turns a file-system error into a {@link DatasetError} whose sentence says what
 * was being done to which file; a {@link DatasetError} passes through unchanged.
 */
export function toDatasetError(error: unknown, doing: string): DatasetError {
  if (error instanceof DatasetError) return error;
  const code = fsErrorCode(error);
  switch (code) {
    case 'ENOENT':
      return new DatasetError('not_found', `Could not ${doing}: it does not exist; check the path.`, {
        cause: error,
      });
    case 'EACCES':
    case 'EPERM':
      return new DatasetError(
        'io_error',
        `Could not ${doing}: permission denied; check the file permissions.`,
        {
          cause: error,
        },
      );
    case 'ENOSPC':
      return new DatasetError(
        'io_error',
        `Could not ${doing}: the disk is full; free some space and try again.`,
        {
          cause: error,
        },
      );
    case 'EISDIR':
      return new DatasetError(
        'invalid_input',
        `Could not ${doing}: it is a folder, not a file; choose a file.`,
        {
          cause: error,
        },
      );
    case 'ENOTDIR':
      return new DatasetError(
        'invalid_input',
        `Could not ${doing}: it is a file, not a folder; choose a folder.`,
        {
          cause: error,
        },
      );
    default: {
      const reason = error instanceof Error ? error.message : String(error);
      return new DatasetError(
        'io_error',
        `Could not ${doing} (${code ?? reason}); check the disk and try again.`,
        {
          cause: error,
        },
      );
    }
  }
}
