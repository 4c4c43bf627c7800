import { describe, expect, it } from 'vitest';
import { presets } from '../../../shared/hyperparams';
import type { SweepDetail, SweepJob } from '../../../shared/sweep';
import {
  bestJob,
  figureGridLayout,
  parallelCoordinates,
  sweepCsv,
  sweepEta,
  sweepMetricSeries,
} from '../../../src-renderer/charts/sweep-chart';
import { formFromHyperparams } from '../../../src-renderer/lib/hyperparam-form';
import { planSweep } from '../../../src-renderer/lib/sweep-form';

function job(
  id: number,
  values: SweepJob['values'],
  loss: number | null,
  status: SweepJob['status'] = 'completed',
): SweepJob {
  return {
    id,
    position: id - 1,
    status,
    values,
    runId: `r${id}`,
    message: null,
    run: {
      status: status === 'completed' ? 'completed' : 'queued',
      epochsDone: loss === null ? 0 : 2,
      lastTest: loss === null ? null : { loss, recon: loss - 10, kl: 10 },
      startedAt: '2026-01-01T00:00:00.000Z',
      finishedAt: loss === null ? null : `2026-01-01T00:00:${String(10 * id).padStart(2, '0')}.000Z`,
    },
  };
}

const jobs = [
  job(1, { beta: 0.5, latentDim: 2 }, 160),
  job(2, { beta: 0.5, latentDim: 4 }, 150),
  job(3, { beta: 1, latentDim: 2 }, 165),
  job(4, { beta: 1, latentDim: 4 }, null, 'queued'),
];
const sweep = { keys: ['beta', 'latentDim'], jobs, total: 4, done: 3 } as Pick<
  SweepDetail,
  'keys' | 'jobs' | 'total' | 'done'
>;

describe('sweep charts', () => {
  it('marks the completed run with the lowest metric as best', () => {
    expect(bestJob(jobs, 'loss')?.id).toBe(2);
    expect(bestJob([jobs[3]!], 'loss')).toBeNull();
  });

  it('draws one line per value of the second key, sorted along x, completed runs only', () => {
    expect(sweepMetricSeries(jobs, 'loss', 'latentDim', 'beta')).toEqual([
      {
        label: 'β (KL weight) = 0.5',
        points: [
          { x: 2, y: 160 },
          { x: 4, y: 150 },
        ],
      },
      { label: 'β (KL weight) = 1', points: [{ x: 2, y: 165 }] },
    ]);
    expect(sweepMetricSeries(jobs, 'recon', 'beta', null)).toEqual([
      {
        label: 'test reconstruction',
        points: [
          { x: 0.5, y: 150 },
          { x: 0.5, y: 140 },
          { x: 1, y: 155 },
        ],
      },
    ]);
  });

  it('scales parallel coordinates to [0, 1] per axis', () => {
    const pc = parallelCoordinates(sweep, 'loss');
    expect(pc.axes.map((a) => [a.label, a.min, a.max])).toEqual([
      ['β (KL weight)', 0.5, 1],
      ['Latent dimension', 2, 4],
      ['test loss', 150, 165],
    ]);
    expect(pc.lines).toEqual([
      { jobId: 1, ys: [0, 0, 10 / 15] },
      { jobId: 2, ys: [0, 1, 0] },
      { jobId: 3, ys: [1, 0, 1] },
    ]);
  });

  it('lays the figure grid out by the swept values', () => {
    const layout = figureGridLayout(sweep);
    expect(layout.colKey).toBe('latentDim');
    expect(layout.cols).toEqual([2, 4]);
    expect(layout.rows.map((r) => [r.label, r.cells.map((c) => c?.id ?? null)])).toEqual([
      ['beta 0.5', [1, 2]],
      ['beta 1', [3, 4]],
    ]);
  });

  it('writes the table as CSV and estimates the time left from finished runs', () => {
    expect(sweepCsv(sweep).split('\n').slice(0, 2)).toEqual([
      'job,beta,latent-dim,status,run_id,epochs,test_loss,test_recon,test_kl',
      '1,0.5,2,completed,r1,2,160,150,10',
    ]);
    // Runs took 10, 20 and 30 s: 20 s on average, one run left.
    expect(sweepEta(sweep)).toBe(20);
  });
});

describe('planSweep (the New run form in sweep mode)', () => {
  const form = () => formFromHyperparams(presets[0]!.hyperparams);

  it('counts the runs of lists and ranges and estimates their time', () => {
    const plan = planSweep(
      { ...form(), beta: '0.5, 1, 4', latentDim: '2:8:2', epochs: '1', trainLimit: '600' },
      '',
    );
    expect(plan.count).toBe(6);
    expect(plan.spec?.axes).toEqual([
      { key: 'latentDim', range: { from: 2, to: 8, count: 2 } },
      { key: 'beta', values: [0.5, 1, 4] },
    ]);
    expect(plan.seconds).toBeGreaterThan(0);
    expect(planSweep({ ...form(), beta: '0.5, 1' }, '5').count).toBe(5);
  });

  it('puts each problem under its field', () => {
    expect(planSweep({ ...form(), beta: '0.5, 200' }, '').errors).toEqual({
      beta: 'β (KL weight) must be a number from 0 to 100; 200 is not.',
    });
    expect(planSweep({ ...form(), latentDim: '2,,4', epochs: '0' }, '').errors).toMatchObject({
      latentDim: '"2,,4" has an empty value between commas.',
      epochs: 'Epochs must be an integer from 1 to 1000.',
    });
    expect(planSweep({ ...form(), latentDim: '1:64:64', beta: '0:10:11' }, '').errors.sweep).toBe(
      'This sweep would queue 704 runs; the most is 500. Use fewer values or random search (random draws).',
    );
    expect(planSweep(form(), '0').errors.samples).toBe('Random draws must be an integer of at least 1.');
  });
});
