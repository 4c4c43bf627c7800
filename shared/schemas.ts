import { z } from 'zod';
import type { CommandArg, CommandName } from './contract';
import { maxCompareRuns } from './figures/palette';
import { figureBackgrounds, figureFormats, figureScales } from './figures/svg';
import { classNameMaxLength, classNamesMax } from './class-names';
import { backendChoices, hyperparamsSchema } from './hyperparams';
import { datasetNamePattern, datasetNameRule, runNameMaxLength } from './names';
import { runStatuses } from './run';
import { maxSweepRuns, sweepKeys } from './sweep';

/**
 * Runtime schemas of every command's argument. Input from a renderer or a
 * socket is `unknown` until the command's schema has parsed it.
 */

const none = z.object({}).strict();
const runId = z
  .string({ error: 'runId must be a run id (a string).' })
  .min(1, { error: 'runId must not be empty.' })
  .max(64, { error: 'runId is at most 64 characters.' });
const sweepId = z
  .string({ error: 'sweepId must be a sweep id (a string).' })
  .min(1, { error: 'sweepId must not be empty.' })
  .max(64, { error: 'sweepId is at most 64 characters.' });
const jobId = z.number().int({ error: 'jobId must be an integer.' }).min(1, { error: 'jobId starts at 1.' });
const datasetName = z
  .string({ error: 'name must be a string.' })
  .regex(datasetNamePattern, { error: `name must be ${datasetNameRule}.` });
/** `/…` on POSIX; `C:\…`, `C:/…` or `\\server\share…` on Windows. */
const absolutePath = /^(?:\/|[A-Za-z]:[\\/]|\\\\)/;
// Absolute only: a relative path would land in whatever folder the server happens to run in.
const path = z
  .string({ error: 'A path must be a string.' })
  .min(1, { error: 'A path must not be empty.' })
  .max(4096, { error: 'A path is at most 4096 characters.' })
  .refine((p) => !p.includes('\0'), { error: 'A path must not contain a NUL character.' })
  .refine((p) => absolutePath.test(p), {
    error: 'A path must be absolute (e.g. /home/me/report or C:\\Users\\me\\report), not relative.',
  });
// The count is checked against the dataset itself, which knows how many classes it has.
const classNames = z
  .array(
    z
      .string({ error: 'classNames must be strings.' })
      .trim()
      .min(1, { error: 'A class name must not be empty.' })
      .max(classNameMaxLength, { error: `A class name is at most ${classNameMaxLength} characters.` }),
    { error: 'classNames must be a list of names.' },
  )
  .min(1, { error: 'classNames must name at least one class.' })
  .max(classNamesMax, { error: `classNames names at most ${classNamesMax} classes.` });
const uploadId = z
  .string({ error: 'uploadId must be a string.' })
  .regex(/^[A-Za-z0-9_-]{16,64}$/, { error: 'uploadId is 16–64 letters, digits, "-" or "_".' });
const epoch = z.number().int({ error: 'epoch must be an integer.' }).min(1, { error: 'epoch starts at 1.' });

const keepMessage = 'keepCheckpoints must be a whole number from 1 to 1000000, or null to keep every epoch.';
const keepCheckpoints = z
  .number({ error: keepMessage })
  .int({ error: keepMessage })
  .min(1, { error: keepMessage })
  .max(1_000_000, { error: keepMessage })
  .nullable();

/** The figure options of a report: what the CLI's --scale, --format, --background and the app's choices take. */
const figureOptions = {
  scale: z
    .number({ error: `scale must be one of ${figureScales.join(', ')}.` })
    .refine((v) => (figureScales as readonly number[]).includes(v), {
      error: `scale must be one of ${figureScales.join(', ')}.`,
    })
    .optional(),
  formats: z
    .array(z.enum(figureFormats, { error: `formats must be ${figureFormats.join(' or ')}.` }), {
      error: `formats must be a list of ${figureFormats.join(' and/or ')}.`,
    })
    .min(1, { error: `formats must name at least one of ${figureFormats.join(', ')}.` })
    .optional(),
  background: z
    .enum(figureBackgrounds, { error: `background must be one of ${figureBackgrounds.join(', ')}.` })
    .optional(),
};

export const commandArgSchemas = {
  'app:info': none,
  'app:choosePaths': z
    .object({ kind: z.enum(['idx', 'folder'], { error: 'kind must be "idx" or "folder".' }) })
    .strict(),
  'datasets:list': none,
  'datasets:images': z
    .object({
      name: z.string().min(1).max(64),
      split: z.enum(['train', 'test'], { error: 'split must be "train" or "test".' }),
      indices: z
        .array(
          z.number().int({ error: 'indices must be integers.' }).min(0, { error: 'indices start at 0.' }),
        )
        .min(1, { error: 'indices must name at least one image.' })
        .max(1024, { error: 'At most 1024 images per call.' }),
    })
    .strict(),
  'datasets:import': z.discriminatedUnion(
    'kind',
    [
      z
        .object({
          kind: z.literal('idx'),
          name: datasetName,
          paths: z.array(path).min(1).max(8),
          classNames: classNames.optional(),
        })
        .strict(),
      z
        .object({
          kind: z.literal('folder'),
          name: datasetName,
          path,
          size: z.number().int().min(4, { error: 'size must be from 4 to 256 pixels.' }).max(256, {
            error: 'size must be from 4 to 256 pixels.',
          }),
          channels: z.union([z.literal(1), z.literal(3)], { error: 'channels must be 1 or 3.' }),
          classNames: classNames.optional(),
        })
        .strict(),
    ],
    { error: 'kind must be "idx" or "folder".' },
  ),
  'datasets:importUpload': z.discriminatedUnion(
    'kind',
    [
      z
        .object({ kind: z.literal('idx'), name: datasetName, uploadId, classNames: classNames.optional() })
        .strict(),
      z
        .object({
          kind: z.literal('folder'),
          name: datasetName,
          uploadId,
          size: z.number().int().min(4, { error: 'size must be from 4 to 256 pixels.' }).max(256, {
            error: 'size must be from 4 to 256 pixels.',
          }),
          channels: z.union([z.literal(1), z.literal(3)], { error: 'channels must be 1 or 3.' }),
          classNames: classNames.optional(),
        })
        .strict(),
    ],
    { error: 'kind must be "idx" or "folder".' },
  ),
  'datasets:setClassNames': z.object({ name: datasetName, classNames }).strict(),
  'runs:start': z
    .object({
      hyperparams: hyperparamsSchema,
      // Blank (or only spaces): the run gets its default name.
      name: z
        .string()
        .trim()
        .max(runNameMaxLength, { error: `name is at most ${runNameMaxLength} characters.` })
        .optional(),
      backend: z
        .enum(backendChoices, { error: 'backend must be auto, tensorflow, webgpu, wasm or cpu.' })
        .optional(),
      keepCheckpoints: keepCheckpoints.optional(),
    })
    .strict(),
  'runs:stop': z.object({ runId }).strict(),
  'runs:resume': z.object({ runId }).strict(),
  'runs:list': z
    .object({
      status: z.array(z.enum(runStatuses)).optional(),
      dataset: z.string().max(64).optional(),
      text: z.string().max(200).optional(),
      sort: z.enum(['createdAt', 'name', 'status', 'testLoss']).optional(),
      descending: z.boolean().optional(),
      limit: z.number().int().min(1).max(100_000).optional(),
      offset: z.number().int().min(0).max(10_000_000).optional(),
    })
    .strict(),
  'runs:get': z.object({ runId }).strict(),
  'runs:snapshot': z.object({ runId, epoch: epoch.optional() }).strict(),
  'runs:decode': z
    .object({
      runId,
      epoch: epoch.optional(),
      points: z
        .array(
          z
            .array(z.number().refine(Number.isFinite, { error: 'Latent points must be finite numbers.' }))
            .min(1)
            .max(64),
        )
        .min(1, { error: 'points must hold at least one latent point.' })
        .max(1024, { error: 'At most 1024 points per call.' }),
    })
    .strict(),
  'runs:update': z
    .object({
      runId,
      name: z
        .string()
        .trim()
        .min(1, { error: 'name must not be empty.' })
        .max(runNameMaxLength, { error: `name is at most ${runNameMaxLength} characters.` })
        .optional(),
      notes: z.string().max(100_000, { error: 'notes are at most 100,000 characters.' }).optional(),
      tags: z
        .array(
          z
            .string()
            .trim()
            .min(1, { error: 'A tag is 1 to 50 characters.' })
            .max(50, { error: 'A tag is 1 to 50 characters.' }),
        )
        .max(50, { error: 'A run has at most 50 tags.' })
        .optional(),
    })
    .strict(),
  'runs:delete': z.object({ runId }).strict(),
  'runs:prune': z.object({ runId, keepCheckpoints }).strict(),
  'runs:retention': z.object({ keepCheckpoints: keepCheckpoints.optional() }).strict(),
  'runs:compare': z
    .object({
      runIds: z
        .array(runId)
        .min(1, { error: 'Pick at least one run.' })
        .max(50, { error: 'At most 50 runs.' }),
    })
    .strict(),
  'runs:export': z
    .object({
      runId,
      dir: path,
      epoch: epoch.optional(),
      overwrite: z.boolean({ error: 'overwrite must be true or false.' }).optional(),
      ...figureOptions,
    })
    .strict(),
  'runs:exportCompare': z
    .object({
      runIds: z
        .array(runId)
        .min(2, { error: 'A compare report needs two or more runs.' })
        .max(maxCompareRuns, { error: `A compare report holds at most ${maxCompareRuns} runs.` }),
      dir: path,
      epoch: epoch.optional(),
      overwrite: z.boolean({ error: 'overwrite must be true or false.' }).optional(),
      ...figureOptions,
    })
    .strict(),
  'sweeps:start': z
    .object({
      spec: z
        .object({
          base: hyperparamsSchema,
          axes: z
            .array(
              z.union([
                z
                  .object({
                    key: z.enum(sweepKeys, { error: `key must be one of ${sweepKeys.join(', ')}.` }),
                    values: z
                      .array(z.number())
                      .max(maxSweepRuns, { error: `At most ${maxSweepRuns} values.` }),
                  })
                  .strict(),
                z
                  .object({
                    key: z.enum(sweepKeys, { error: `key must be one of ${sweepKeys.join(', ')}.` }),
                    range: z
                      .object({
                        from: z.number(),
                        to: z.number(),
                        count: z.number().int().min(1).max(maxSweepRuns),
                      })
                      .strict(),
                  })
                  .strict(),
              ]),
            )
            .max(sweepKeys.length),
          mode: z.enum(['grid', 'random'], { error: 'mode must be "grid" or "random".' }),
          samples: z.number().int().min(1).max(100_000).optional(),
          seed: z.number().int().min(0).max(2_147_483_647).optional(),
        })
        .strict(),
      name: z
        .string()
        .trim()
        .max(runNameMaxLength, { error: `name is at most ${runNameMaxLength} characters.` })
        .optional(),
      backend: z.enum(backendChoices, { error: 'backend must be auto, tensorflow, wasm or cpu.' }).optional(),
    })
    .strict(),
  'sweeps:list': none,
  'sweeps:get': z.object({ sweepId }).strict(),
  'sweeps:stop': z.object({ sweepId }).strict(),
  'sweeps:resume': z.object({ sweepId }).strict(),
  'sweeps:skip': z.object({ sweepId, jobId }).strict(),
  'sweeps:move': z
    .object({ sweepId, jobId, position: z.number().int().min(0, { error: 'position starts at 0.' }) })
    .strict(),
} satisfies { [K in CommandName]: z.ZodType<CommandArg<K>> };

/** Turns a schema failure into one sentence a person can act on. */
export function describeIssues(error: z.ZodError): string {
  const first = error.issues[0];
  if (!first) return 'The argument is not valid.';
  if (first.code === 'unrecognized_keys') return `Unknown field(s): ${first.keys.join(', ')}.`;
  const where = first.path.length > 0 ? `${first.path.join('.')}: ` : '';
  return `${where}${first.message}`;
}
