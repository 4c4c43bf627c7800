import { describe, expect, it } from 'vitest';
import { commandArgSchemas, describeIssues } from '../../../shared/schemas';

/** The sentence a client gets back for `arg`, or null when the schema accepts it. */
function refusal(command: 'runs:export' | 'datasets:import', arg: unknown): string | null {
  const parsed = commandArgSchemas[command].safeParse(arg);
  return parsed.success ? null : describeIssues(parsed.error);
}

describe('path arguments', () => {
  it('accept absolute POSIX and Windows paths and an overwrite flag', () => {
    for (const dir of ['/home/me/report', 'C:\\Users\\me\\report', 'd:/reports', '\\\\server\\share\\r']) {
      expect(refusal('runs:export', { runId: 'r1', dir }), dir).toBeNull();
    }
    expect(refusal('runs:export', { runId: 'r1', dir: '/tmp/r', overwrite: true })).toBeNull();
    expect(refusal('runs:export', { runId: 'r1', dir: '/tmp/r', overwrite: 'yes' })).toBe(
      'overwrite: overwrite must be true or false.',
    );
  });

  it('refuse a relative path, which would land in the server’s working folder', () => {
    for (const dir of ['report', './report', '../report', '~/report', 'C:report']) {
      expect(refusal('runs:export', { runId: 'r1', dir }), dir).toBe(
        'dir: A path must be absolute (e.g. /home/me/report or C:\\Users\\me\\report), not relative.',
      );
    }
    expect(refusal('datasets:import', { kind: 'idx', name: 'x', paths: ['train-images-idx3-ubyte'] })).toBe(
      'paths.0: A path must be absolute (e.g. /home/me/report or C:\\Users\\me\\report), not relative.',
    );
  });

  it('refuse a NUL character', () => {
    expect(refusal('runs:export', { runId: 'r1', dir: '/tmp/report\0/../etc' })).toBe(
      'dir: A path must not contain a NUL character.',
    );
    expect(
      refusal('datasets:import', { kind: 'folder', name: 'x', path: '/data\0', size: 28, channels: 1 }),
    ).toBe('path: A path must not contain a NUL character.');
  });
});

describe('figure arguments of runs:export', () => {
  it('accept the scales, formats and backgrounds the app writes', () => {
    const arg = { runId: 'r1', dir: '/tmp/r' };
    expect(
      refusal('runs:export', { ...arg, scale: 3, formats: ['svg'], background: 'transparent' }),
    ).toBeNull();
  });

  it('refuse others, naming the allowed values', () => {
    const arg = { runId: 'r1', dir: '/tmp/r' };
    expect(refusal('runs:export', { ...arg, scale: 4 })).toBe('scale: scale must be one of 1, 2, 3.');
    expect(refusal('runs:export', { ...arg, scale: '2' })).toBe('scale: scale must be one of 1, 2, 3.');
    expect(refusal('runs:export', { ...arg, formats: ['png', 'jpg'] })).toBe(
      'formats.1: formats must be png or svg.',
    );
    expect(refusal('runs:export', { ...arg, formats: [] })).toBe(
      'formats: formats must name at least one of png, svg.',
    );
    expect(refusal('runs:export', { ...arg, background: 'blue' })).toBe(
      'background: background must be one of light, dark, transparent.',
    );
  });
});
