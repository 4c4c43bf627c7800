import * as path from 'node:path';
import { parseClassNames } from '../../shared/class-names';
import type { DatasetInfo } from '../../shared/contract';
import { dataOptions, numberFlag, parse, readsOnly, unwrap, UsageError, withApi, type CliIo } from './common';

function table(datasets: DatasetInfo[]): string {
  return (
    datasets
      .map(
        (d) =>
          `${d.name.padEnd(16)} ${d.source.padEnd(8)} ${String(d.trainCount).padStart(7)} train ` +
          `${String(d.testCount).padStart(6)} test  ${d.height}×${d.width}×${d.channels}  ${d.labels.length} labels  ${d.hash.slice(0, 12)}`,
      )
      .join('\n') + '\n'
  );
}

/** `vae-studio datasets list|import|classes`. */
export async function datasetsCommand(args: string[], io: CliIo, help: string): Promise<number> {
  const [sub, ...rest] = args;
  const { values, positionals } = parse({
    args: rest,
    strict: true,
    allowPositionals: true,
    options: {
      ...dataOptions,
      idx: { type: 'string', multiple: true },
      folder: { type: 'string' },
      name: { type: 'string' },
      size: { type: 'string' },
      channels: { type: 'string' },
      'class-names': { type: 'string' },
    },
  });
  if (values.help || sub === undefined) {
    io.stdout(help);
    return sub === undefined && !values.help ? 2 : 0;
  }
  return withApi({ ...values, ...readsOnly('datasets', sub) }, io, async (api) => {
    if (sub === 'list') {
      const datasets = unwrap(await api.call['datasets:list']({}));
      io.stdout(values.json ? `${JSON.stringify(datasets)}\n` : table(datasets));
      return 0;
    }
    const classNames =
      values['class-names'] === undefined ? undefined : parseClassNames(values['class-names']);
    if (sub === 'classes') {
      const [name, ...extra] = positionals;
      if (name === undefined || extra.length > 0 || classNames === undefined) {
        throw new UsageError(
          'datasets classes needs NAME --class-names a,b,… (one name per label, in order).',
        );
      }
      const info = unwrap(await api.call['datasets:setClassNames']({ name, classNames }));
      io.stdout(values.json ? `${JSON.stringify(info)}\n` : `${info.name}: ${info.labels.join(', ')}\n`);
      return 0;
    }
    if (sub !== 'import') {
      throw new UsageError(`Unknown datasets command "${sub}"; use list, import or classes.`);
    }
    if (!values.name) throw new UsageError('datasets import needs --name NAME.');
    // `--idx DIR` or `--idx a.gz b.gz …` (the extra files arrive as positionals).
    const idx = [...(values.idx ?? []), ...positionals];
    if (idx.length > 0 === (values.folder !== undefined)) {
      throw new UsageError('datasets import needs either --idx DIR|FILES or --folder DIR.');
    }
    let lastShown = 0;
    const off = api.on('dataset:progress', ({ done, total }) => {
      if (!io.isTty || Date.now() - lastShown < 100) return;
      lastShown = Date.now();
      io.stderr(`\rImporting… ${done}/${total} images`);
    });
    const size = numberFlag('size', values.size, 'int') ?? 28;
    const channels = numberFlag('channels', values.channels, 'int') ?? 1;
    if (channels !== 1 && channels !== 3) throw new UsageError('--channels must be 1 or 3.');
    const info = unwrap(
      await api.call['datasets:import'](
        idx.length > 0
          ? {
              kind: 'idx',
              name: values.name,
              paths: idx.map((p) => path.resolve(p)),
              ...(classNames ? { classNames } : {}),
            }
          : {
              kind: 'folder',
              name: values.name,
              path: path.resolve(values.folder ?? ''),
              size,
              channels,
              ...(classNames ? { classNames } : {}),
            },
      ),
    );
    off();
    if (io.isTty) io.stderr('\r\x1b[K');
    io.stdout(values.json ? `${JSON.stringify(info)}\n` : table([info]));
    return 0;
  });
}
