import { describe, expect, test } from 'vitest';
import {
  ModelSpecError,
  type ModelSpec,
  decoderWeightNames,
  modelSpecFor,
  parameterCount,
  planModel,
  weightSpecs,
} from '../../../shared/model-spec';

const mnist = { height: 28, width: 28, channels: 1 };
const reference: ModelSpec = { arch: 'mlp', image: mnist, latentDim: 2, hidden: [256] };
const kerasConv: ModelSpec = { arch: 'conv', image: mnist, latentDim: 2, hidden: [16] };

describe('plan', () => {
  test('the default mlp is exactly the reference model: 404,244 parameters', () => {
    expect(parameterCount(planModel(reference))).toBe(404_244);
  });

  test("the PyTorch example's 784-400-20 has 652,824 parameters", () => {
    const spec = modelSpecFor({ arch: 'mlp', latentDim: 20, hidden: [400] }, mnist);
    expect(parameterCount(planModel(spec))).toBe(652_824);
  });

  test("the conv model has the Keras example's 134,165 parameters", () => {
    // Encoder 320 + 18,496 + 50,192 + 34 + 34; decoder 9,408 + 36,928 + 18,464 + 289.
    expect(parameterCount(planModel(kerasConv))).toBe(134_165);
  });

  test('weights have stable names and Keras-style shapes', () => {
    expect(weightSpecs(planModel(reference)).map((w) => `${w.name} ${w.shape.join('x')}`)).toEqual([
      'enc/dense0/kernel 784x256',
      'enc/dense0/bias 256',
      'enc/z_mu/kernel 256x2',
      'enc/z_mu/bias 2',
      'enc/z_log_var/kernel 256x2',
      'enc/z_log_var/bias 2',
      'dec/dense0/kernel 2x256',
      'dec/dense0/bias 256',
      'dec/output/kernel 256x784',
      'dec/output/bias 784',
    ]);
    expect(decoderWeightNames(planModel(kerasConv))).toEqual([
      'dec/dense0/kernel',
      'dec/dense0/bias',
      'dec/deconv0/kernel',
      'dec/deconv0/bias',
      'dec/deconv1/kernel',
      'dec/deconv1/bias',
      'dec/output/kernel',
      'dec/output/bias',
    ]);
  });

  test('the mlp decoder mirrors several hidden layers', () => {
    const plan = planModel({ arch: 'mlp', image: mnist, latentDim: 20, hidden: [512, 128] });
    expect(
      weightSpecs(plan)
        .filter((w) => w.name.endsWith('kernel'))
        .map((w) => w.shape.join('x')),
    ).toEqual(['784x512', '512x128', '128x20', '128x20', '20x128', '128x512', '512x784']);
  });

  test('conv rejects image sides not divisible by 4 with a sentence that says what to do', () => {
    expect(() => planModel({ ...kerasConv, image: { height: 30, width: 30, channels: 1 } })).toThrow(
      ModelSpecError,
    );
    expect(() => planModel({ ...kerasConv, image: { height: 30, width: 30, channels: 1 } })).toThrow(
      /divisible by 4.*30×30/,
    );
  });

  test('conv takes other sizes divisible by 4, and colour', () => {
    const plan = planModel({ ...kerasConv, image: { height: 32, width: 32, channels: 3 } });
    expect(plan.pixels).toBe(32 * 32 * 3);
  });
});
