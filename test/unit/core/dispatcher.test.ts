import { describe, expect, it, vi } from 'vitest';
import { AppError } from '../../../src-main/core/app-error';
import { createDispatcher, type HandlerTable } from '../../../src-main/core/dispatcher';
import { commandNames } from '../../../shared/contract';

// Only app:info is under test; every other command answers as a bug would.
const others = Object.fromEntries(
  commandNames.map((name) => [
    name,
    () => {
      throw new Error('not under test');
    },
  ]),
) as unknown as HandlerTable;

function dispatcherWith(info: HandlerTable['app:info']) {
  const logError = vi.fn();
  const dispatch = createDispatcher({ handlers: { ...others, 'app:info': info }, logError });
  return { dispatch, logError };
}

const info = {
  name: 'VAE Studio',
  version: '1.2.3',
  backends: [],
  dataDir: '/tmp/x',
  platform: 'Linux',
  arch: 'x64',
  shell: 'in-process' as const,
  canChoosePaths: false,
  notices: [],
};

describe('dispatcher', () => {
  it('runs the handler with the validated argument', async () => {
    const { dispatch } = dispatcherWith(() => info);
    expect(await dispatch('app:info', {})).toEqual({ ok: true, value: info });
  });

  it('answers unknown commands with unknown_command', async () => {
    const { dispatch } = dispatcherWith(() => info);
    expect(await dispatch('app:nope', {})).toEqual({
      ok: false,
      error: { code: 'unknown_command', message: 'There is no command "app:nope".' },
    });
    expect(await dispatch(42, {})).toMatchObject({ ok: false, error: { code: 'unknown_command' } });
  });

  it('answers arguments of the wrong shape with invalid_argument naming the problem', async () => {
    const { dispatch } = dispatcherWith(() => info);
    expect(await dispatch('app:info', { extra: 1 })).toEqual({
      ok: false,
      error: { code: 'invalid_argument', message: 'app:info: Unknown field(s): extra.' },
    });
    expect(await dispatch('app:info', 'text')).toMatchObject({
      ok: false,
      error: { code: 'invalid_argument' },
    });
    expect(await dispatch('runs:get', { runId: 7 })).toEqual({
      ok: false,
      error: { code: 'invalid_argument', message: 'runs:get: runId: runId must be a run id (a string).' },
    });
  });

  it('keeps the code of expected failures', async () => {
    const { dispatch, logError } = dispatcherWith(() => {
      throw new AppError('not_found', 'No such run.');
    });
    expect(await dispatch('app:info', {})).toEqual({
      ok: false,
      error: { code: 'not_found', message: 'No such run.' },
    });
    expect(logError).not.toHaveBeenCalled();
  });

  it('turns unexpected errors into internal without leaking their details', async () => {
    const { dispatch, logError } = dispatcherWith(() => {
      throw new TypeError('secret stack detail');
    });
    const result = await dispatch('app:info', {});
    expect(result).toEqual({
      ok: false,
      error: {
        code: 'internal',
        message: 'app:info failed unexpectedly; the details are in the VAE Studio log.',
      },
    });
    expect(JSON.stringify(result)).not.toContain('secret');
    expect(logError).toHaveBeenCalledOnce();
  });
});
