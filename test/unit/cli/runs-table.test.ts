import { describe, expect, it } from 'vitest';
import { runsTable } from '../../../src-main/commands/runs';

describe('the runs table', () => {
  it('pads each column to its widest cell', () => {
    expect(
      runsTable([['a', 'completed', 'mnist', 'mlp z2', '1/1', '150.00', '1 MB', '2026-01-01 00:00:00', 'x']]),
    ).toBe(
      'ID  STATUS     DATASET  MODEL   EPOCHS  TEST LOSS  SIZE  CREATED              NAME\n' +
        'a   completed  mnist    mlp z2  1/1     150.00     1 MB  2026-01-01 00:00:00  x\n',
    );
  });

  it('lists 200,000 runs (their widths once came from spreading a column into Math.max, which overflows the stack)', () => {
    const rows = Array.from({ length: 200_000 }, (_, i) => [
      String(i),
      'stopped',
      'd',
      'm',
      '0/1',
      '-',
      '-',
      'c',
      'n',
    ]);
    const text = runsTable(rows);
    expect(text.split('\n')).toHaveLength(200_002);
    expect(text.split('\n')[200_000]).toBe(
      '199999  stopped  d        m      0/1     -          -     c        n',
    );
  });
});
