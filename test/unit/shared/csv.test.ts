import { describe, expect, it } from 'vitest';
import { batchesCsv } from '../../../shared/csv';

describe('batchesCsv', () => {
  it('writes one row per step with its epoch, numbers as JavaScript prints them', () => {
    expect(
      batchesCsv([
        { step: 1, epoch: 1, loss: 543.25, recon: 540, kl: 3.25 },
        { step: 2, epoch: 2, loss: Number.NaN, recon: Infinity, kl: 0.1 + 0.2 },
      ]),
    ).toBe('step,epoch,loss,recon,kl\n1,1,543.25,540,3.25\n2,2,NaN,Infinity,0.30000000000000004\n');
  });

  it('leaves the epoch empty where the rows do not know it (the chart’s thinned points)', () => {
    expect(batchesCsv([{ step: 40, loss: 180.5, recon: 175, kl: 5.5 }])).toBe(
      'step,epoch,loss,recon,kl\n40,,180.5,175,5.5\n',
    );
    expect(batchesCsv([])).toBe('step,epoch,loss,recon,kl\n');
  });
});
