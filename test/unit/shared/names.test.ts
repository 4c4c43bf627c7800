import { describe, expect, it } from 'vitest';
import { commandArgSchemas } from '../../../shared/schemas';
import { datasetNameRule, isDatasetName, runNameMaxLength } from '../../../shared/names';

describe('dataset names', () => {
  it('are 1–64 letters, digits, "-" or "_", starting with a letter or digit', () => {
    for (const name of ['a', 'mnist', 'Fashion_MNIST-2', '9lives', 'x'.repeat(64)])
      expect(isDatasetName(name)).toBe(true);
    for (const name of ['', '-a', '_a', 'a b', 'a.b', 'a/b', '..', 'é', 'x'.repeat(65)])
      expect(isDatasetName(name)).toBe(false);
  });

  it('are checked by the import command with the same rule, in words', () => {
    const parse = (name: string) =>
      commandArgSchemas['datasets:import'].safeParse({ kind: 'idx', name, paths: ['/a'] });
    expect(parse('x'.repeat(64)).success).toBe(true);
    const bad = parse('a b');
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.message).toBe(
      'name must be 1–64 letters, digits, "-" or "_", starting with a letter or digit.',
    );
    expect(datasetNameRule).toBe('1–64 letters, digits, "-" or "_", starting with a letter or digit');
  });
});

describe('run names', () => {
  it('are at most 200 characters in the start and update commands', () => {
    expect(runNameMaxLength).toBe(200);
    const start = commandArgSchemas['runs:start'].shape.name;
    const update = commandArgSchemas['runs:update'].shape.name;
    for (const schema of [start, update]) {
      expect(schema.safeParse('r'.repeat(200)).success).toBe(true);
      expect(schema.safeParse('r'.repeat(201)).success).toBe(false);
    }
  });
});
