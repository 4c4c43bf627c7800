/**
 * What a name may be, stated once for the form that asks for it, the API that
 * validates it, and the store that keeps it.
 */

/**
 * A dataset's name: 1–64 letters, digits, `-` or `_`, starting with a letter
 * or digit. Imported datasets live in a folder of that name, so the alphabet
 * is one every file system accepts.
 */
export const datasetNamePattern = /^[a-z0-9][a-z0-9_-]{0,63}$/i;

/** The rule of {@link datasetNamePattern} in words, to complete a sentence: "must be …". */
export const datasetNameRule = '1–64 letters, digits, "-" or "_", starting with a letter or digit';

/** True when `name` is a well-formed dataset name. */
export function isDatasetName(name: string): boolean {
  return datasetNamePattern.test(name);
}

/** The longest name a run may have (the name is trimmed first). */
export const runNameMaxLength = 200;
