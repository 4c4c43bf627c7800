/**
 * A size for people: `812 B`, `1.4 MB`, `146 MB`, `2.1 GB` (binary units,
 * one decimal below 100, none above), as the runs list, `runs show` and the
 * About view print run and database sizes.
 *
 * @param bytes a non-negative byte count.
 */
export function formatSize(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  const shown = unit === 0 || value >= 100 ? Math.round(value).toString() : value.toFixed(1);
  return `${shown} ${units[unit]}`;
}
