/**
 * Class names of a dataset: the words its legends, tooltips, CSVs and reports
 * show for label indices 0, 1, … (e.g. Fashion-MNIST's "T-shirt/top", "Trouser", …).
 */

/** Longest class name accepted; longer ones would not fit a legend entry or a CSV cell sensibly. */
export const classNameMaxLength = 64;
/** Most classes a dataset may have: labels are stored as one byte. */
export const classNamesMax = 256;

/** Fashion-MNIST's ten class names, in label order (from its README). */
export const fashionMnistClassNames: readonly string[] = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
];

/**
 * Splits a list typed by a person: one name per line (a `labels.txt`) or, on a
 * single line, comma-separated (`--class-names a,b,c`). Names are trimmed and a
 * trailing empty line is ignored.
 */
export function parseClassNames(text: string): string[] {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  while (lines.length > 0 && lines[lines.length - 1]?.trim() === '') lines.pop();
  const parts = lines.length === 1 ? (lines[0] ?? '').split(',') : lines;
  return parts.map((p) => p.trim());
}

/**
 * Why a list of class names cannot name `expected` classes, or `null` when it can.
 * The message names the expected count so the user knows what to fix.
 */
export function classNamesProblem(names: readonly string[], expected: number): string | null {
  if (names.length !== expected) {
    return `Got ${names.length} class name(s) but the dataset has ${expected} classes (labels 0–${expected - 1}); give exactly ${expected} names, in label order.`;
  }
  const blank = names.findIndex((n) => n.trim() === '');
  if (blank >= 0) return `Class name ${blank + 1} (label ${blank}) is empty; give every class a name.`;
  const long = names.findIndex((n) => n.length > classNameMaxLength);
  if (long >= 0) {
    return `Class name ${long + 1} (label ${long}) is longer than ${classNameMaxLength} characters; shorten it.`;
  }
  const control = names.findIndex((n) => /\p{Cc}/u.test(n));
  if (control >= 0)
    return `Class name ${control + 1} (label ${control}) holds a control character; remove it.`;
  const seen = new Map<string, number>();
  for (const [i, n] of names.entries()) {
    const before = seen.get(n);
    if (before !== undefined) {
      return `Labels ${before} and ${i} are both named "${n}"; give each class its own name.`;
    }
    seen.set(n, i);
  }
  return null;
}
