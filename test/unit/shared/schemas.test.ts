import { describe, expect, it } from 'vitest';
import { presets } from '../../../shared/hyperparams';
import { commandArgSchemas, describeIssues } from '../../../shared/schemas';

// The store takes run arguments as these schemas leave them: the checks live here only.
function refusal(schema: (typeof commandArgSchemas)[keyof typeof commandArgSchemas], arg: unknown): string {
  const parsed = schema.safeParse(arg);
  if (parsed.success) throw new Error('expected a refusal');
  return describeIssues(parsed.error);
}

describe('run command schemas', () => {
  const hyperparams = presets[0]!.hyperparams;

  it('runs:start refuses invalid hyperparameters and trims the name', () => {
    expect(
      refusal(commandArgSchemas['runs:start'], { hyperparams: { ...hyperparams, latentDim: 0 } }),
    ).toMatch(/^hyperparams\.latentDim: /);
    expect(commandArgSchemas['runs:start'].parse({ hyperparams, name: '  first  ' }).name).toBe('first');
    // Blank means "the default name", as an empty one always did.
    expect(commandArgSchemas['runs:start'].parse({ hyperparams, name: '   ' }).name).toBe('');
  });

  it('runs:update trims name and tags and refuses blank ones', () => {
    const update = commandArgSchemas['runs:update'];
    expect(update.parse({ runId: 'r', name: '  renamed ', tags: [' a', 'b '] })).toEqual({
      runId: 'r',
      name: 'renamed',
      tags: ['a', 'b'],
    });
    expect(refusal(update, { runId: 'r', name: '   ' })).toBe('name: name must not be empty.');
    expect(refusal(update, { runId: 'r', name: 'x'.repeat(201) })).toBe(
      'name: name is at most 200 characters.',
    );
    expect(refusal(update, { runId: 'r', tags: ['ok', '  '] })).toBe('tags.1: A tag is 1 to 50 characters.');
    expect(refusal(update, { runId: 'r', tags: Array.from({ length: 51 }, (_, i) => `t${i}`) })).toBe(
      'tags: A run has at most 50 tags.',
    );
    expect(refusal(update, { runId: 'r', notes: 'x'.repeat(100_001) })).toBe(
      'notes: notes are at most 100,000 characters.',
    );
  });
});
