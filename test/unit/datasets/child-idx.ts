/**
 * Runs in a child process (through jiti) so a test can read the peak memory of
 * one `readIdxFile` call: `child-idx.ts <file>`. Prints one JSON line: the
 * process's peak resident size before and after the call (KiB) and the error, if any.
 */
import { readIdxFile } from '../../../src-main/datasets/idx';

const [file] = process.argv.slice(2);
if (!file) throw new Error('usage: child-idx.ts <file>');
const beforeKb = process.resourceUsage().maxRSS;
readIdxFile(file).then(
  (idx) => {
    const peakKb = process.resourceUsage().maxRSS;
    console.log(JSON.stringify({ beforeKb, peakKb, dims: idx.dims }));
  },
  (error: unknown) => {
    const peakKb = process.resourceUsage().maxRSS;
    const { code, message } = error as { code?: string; message?: string };
    console.log(JSON.stringify({ beforeKb, peakKb, code, message }));
  },
);
