import { describe, expect, it } from 'vitest';
import {
  boundsMessage,
  hyperparamFields,
  hyperparamsSchema,
  presetById,
  presets,
} from '../../../shared/hyperparams';

function messageFor(patch: Record<string, unknown>): string {
  const result = hyperparamsSchema.safeParse({ ...presetById('keras-blog').hyperparams, ...patch });
  expect(result.success).toBe(false);
  return result.error?.issues[0]?.message ?? '';
}

describe('hyperparameter schema', () => {
  it('accepts every preset', () => {
    for (const preset of presets) expect(hyperparamsSchema.safeParse(preset.hyperparams).success).toBe(true);
  });

  it('keeps the reference experiment as the default preset', () => {
    expect(presets[0]?.id).toBe('keras-blog');
    expect(presets[0]?.hyperparams).toMatchObject({
      arch: 'mlp',
      latentDim: 2,
      hidden: [256],
      batchSize: 64,
      learningRate: 0.001,
      beta: 1,
    });
  });

  it('names the field and its bounds for bad values', () => {
    expect(messageFor({ latentDim: 0 })).toBe('Latent dimension must be an integer from 1 to 64.');
    expect(messageFor({ latentDim: 2.5 })).toBe('Latent dimension must be an integer from 1 to 64.');
    expect(messageFor({ batchSize: -64 })).toBe('Batch size must be an integer from 1 to 4096.');
    expect(messageFor({ learningRate: Number.NaN })).toBe(
      'Learning rate must be a number greater than 0 and at most 1.',
    );
    expect(messageFor({ learningRate: 0 })).toBe(
      'Learning rate must be a number greater than 0 and at most 1.',
    );
    expect(messageFor({ learningRate: null })).toBe(
      'Learning rate must be a number greater than 0 and at most 1.',
    );
    expect(messageFor({ trainLimit: 0 })).toBe(
      'Training images must be an integer from 1 to 10000000, or empty for all.',
    );
    expect(messageFor({ hidden: [] })).toMatch(/^Hidden layers must be a list of 1 to 4 unit counts/);
    expect(messageFor({ hidden: [256, 0] })).toMatch(/each an integer from 1 to 4096/);
    expect(messageFor({ arch: 'rnn' })).toBe('Architecture must be "mlp" or "conv".');
  });

  it('rejects unknown fields rather than ignoring them', () => {
    const result = hyperparamsSchema.safeParse({ ...presetById('keras-blog').hyperparams, lr: 1 });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.code).toBe('unrecognized_keys');
  });

  it('states bounds in words', () => {
    expect(boundsMessage(hyperparamFields.beta)).toBe('β (KL weight) must be a number from 0 to 100.');
  });
});
