import { z } from 'zod';

/**
 * The hyperparameters of a run, their documented limits, and the presets.
 * The limits are stated once, in {@link hyperparamFields}: the form in the
 * renderer, the validation messages and the CLI's help all read them.
 */

/** Architectures the engine can build. */
export const architectures = ['mlp', 'conv'] as const;
export type Architecture = (typeof architectures)[number];

/** Training backends, best first; `auto` picks the best one available. */
export const backendNames = ['tensorflow', 'webgpu', 'wasm', 'cpu'] as const;
export type BackendName = (typeof backendNames)[number];
export const backendChoices = ['auto', ...backendNames] as const;
export type BackendChoice = (typeof backendChoices)[number];

/** Describes one numeric field: its label, unit of help, and bounds. */
export interface NumberField {
  kind: 'int' | 'float';
  label: string;
  help: string;
  min: number;
  max: number;
  /** `min` is exclusive (e.g. a learning rate must be > 0). */
  minExclusive?: boolean;
  /** `null` is allowed and means "no limit / use everything". */
  nullable?: boolean;
  /** What `null` means, in words ("all" unless said). */
  whenEmpty?: string;
}

/** The numeric hyperparameters and their documented limits. */
export const hyperparamFields = {
  latentDim: {
    kind: 'int',
    label: 'Latent dimension',
    help: 'Size of z. 2 gives a latent space you can plot directly.',
    min: 1,
    max: 64,
  },
  epochs: { kind: 'int', label: 'Epochs', help: 'Passes over the training set.', min: 1, max: 1000 },
  batchSize: {
    kind: 'int',
    label: 'Batch size',
    help: 'Images per gradient step.',
    min: 1,
    max: 4096,
  },
  learningRate: {
    kind: 'float',
    label: 'Learning rate',
    help: 'Adam step size.',
    min: 0,
    minExclusive: true,
    max: 1,
  },
  beta: {
    kind: 'float',
    label: 'β (KL weight)',
    help: '1 is the standard VAE; larger values favour disentangling, 0 is a plain autoencoder.',
    min: 0,
    max: 100,
  },
  klWarmupEpochs: {
    kind: 'int',
    label: 'KL warm-up epochs',
    help: 'β grows linearly from 0 over this many epochs; 0 turns warm-up off.',
    min: 0,
    max: 1000,
  },
  seed: {
    kind: 'int',
    label: 'Seed',
    help: 'Same seed, same backend: same run.',
    min: 0,
    max: 2_147_483_647,
  },
  trainLimit: {
    kind: 'int',
    label: 'Training images',
    help: 'Use only the first N training images; empty uses all.',
    min: 1,
    max: 10_000_000,
    nullable: true,
  },
  testLimit: {
    kind: 'int',
    label: 'Test images',
    help: 'Use only the first N test images; empty uses all.',
    min: 1,
    max: 10_000_000,
    nullable: true,
  },
  threads: {
    kind: 'int',
    label: 'CPU threads',
    help: 'Threads of the wasm kernels (capped at the cores there are); empty uses every core.',
    min: 1,
    max: 256,
    nullable: true,
    whenEmpty: 'every core',
  },
} as const satisfies Record<string, NumberField>;

/** Bounds of each hidden layer of the `mlp` architecture. */
export const hiddenLayerLimits = { minUnits: 1, maxUnits: 4096, minLayers: 1, maxLayers: 4 } as const;

/** A field's bounds in words: "an integer from 1 to 64", "a number greater than 0 and at most 1". */
export function boundsText(field: NumberField): string {
  const what = field.kind === 'int' ? 'an integer' : 'a number';
  const low = field.minExclusive ? `greater than ${field.min}` : `from ${field.min}`;
  return field.minExclusive ? `${what} ${low} and at most ${field.max}` : `${what} ${low} to ${field.max}`;
}

/** "Latent dimension must be an integer from 1 to 64." */
export function boundsMessage(field: NumberField): string {
  return `${field.label} must be ${boundsText(field)}${field.nullable ? `, or empty for ${field.whenEmpty ?? 'all'}` : ''}.`;
}

function numberSchema(field: NumberField) {
  const message = boundsMessage(field);
  let schema = z.number({ error: message }).refine(Number.isFinite, { error: message });
  if (field.kind === 'int') schema = schema.refine(Number.isInteger, { error: message });
  schema = schema
    .refine((v) => (field.minExclusive ? v > field.min : v >= field.min), { error: message })
    .refine((v) => v <= field.max, { error: message });
  return schema;
}

const f = hyperparamFields;
const { minUnits: hiddenMin, maxUnits: hiddenMax } = hiddenLayerLimits;
/** The message of every invalid hidden-layer list, in the schema, the form and the CLI. */
export const hiddenMessage =
  `Hidden layers must be a list of ${hiddenLayerLimits.minLayers} to ${hiddenLayerLimits.maxLayers} ` +
  `unit counts, each an integer from ${hiddenMin} to ${hiddenMax}, such as [256].`;

/** Runtime schema of {@link Hyperparams}; every message names the field and its bounds. */
export const hyperparamsSchema = z
  .object({
    dataset: z
      .string({ error: 'Dataset must be the name of a dataset, such as "mnist".' })
      .min(1, { error: 'Dataset must be the name of a dataset, such as "mnist".' })
      .max(64, { error: 'Dataset names are at most 64 characters.' }),
    arch: z.enum(architectures, { error: 'Architecture must be "mlp" or "conv".' }),
    latentDim: numberSchema(f.latentDim),
    hidden: z
      .array(
        z
          .number({ error: hiddenMessage })
          .refine((v) => Number.isInteger(v) && v >= hiddenMin && v <= hiddenMax, {
            error: hiddenMessage,
          }),
        { error: hiddenMessage },
      )
      .min(hiddenLayerLimits.minLayers, { error: hiddenMessage })
      .max(hiddenLayerLimits.maxLayers, { error: hiddenMessage }),
    epochs: numberSchema(f.epochs),
    batchSize: numberSchema(f.batchSize),
    learningRate: numberSchema(f.learningRate),
    beta: numberSchema(f.beta),
    klWarmupEpochs: numberSchema(f.klWarmupEpochs),
    seed: numberSchema(f.seed),
    trainLimit: numberSchema(f.trainLimit).nullable(),
    testLimit: numberSchema(f.testLimit).nullable(),
    // Runs stored before the setting existed have none: every core.
    threads: numberSchema(f.threads).nullable().default(null),
  })
  .strict();

/** Everything that defines a run's training. Stored whole with every run. */
export type Hyperparams = z.infer<typeof hyperparamsSchema>;

/**
 * The command line's flag of each hyperparameter, without its `--`: the CLI's
 * parser, its messages and its help all read this table.
 */
export const hyperparamFlags = {
  dataset: 'dataset',
  arch: 'arch',
  latentDim: 'latent-dim',
  hidden: 'hidden',
  epochs: 'epochs',
  batchSize: 'batch-size',
  learningRate: 'lr',
  beta: 'beta',
  klWarmupEpochs: 'kl-warmup',
  seed: 'seed',
  trainLimit: 'train-limit',
  testLimit: 'test-limit',
  threads: 'threads',
} as const satisfies Record<keyof Hyperparams, string>;

/** A named starting point for the new-run form and the CLI's `--preset`. */
export interface Preset {
  id: string;
  label: string;
  description: string;
  hyperparams: Hyperparams;
}

const kerasBlog: Hyperparams = {
  dataset: 'mnist',
  arch: 'mlp',
  latentDim: 2,
  hidden: [256],
  epochs: 10,
  batchSize: 64,
  learningRate: 1e-3,
  beta: 1,
  klWarmupEpochs: 0,
  seed: 42,
  trainLimit: null,
  testLimit: null,
  threads: null,
};

/** Presets, the first being the default (the seed post's exact setup). */
export const presets: readonly Preset[] = [
  {
    id: 'keras-blog',
    label: 'Keras blog (2018)',
    description: 'The reference experiment: 784-256-2-256-784, Adam 1e-3, batch 64.',
    hyperparams: kerasBlog,
  },
  {
    id: 'pytorch-example',
    label: 'PyTorch example',
    description: "PyTorch's examples/vae: 784-400-20-400-784, batch 128.",
    hyperparams: { ...kerasBlog, latentDim: 20, hidden: [400], batchSize: 128 },
  },
  {
    id: 'keras-conv',
    label: 'Keras conv example',
    description: "Keras' convolutional VAE: Conv 32/64 stride 2, Dense 16, latent 2, batch 128.",
    hyperparams: { ...kerasBlog, arch: 'conv', hidden: [16], batchSize: 128 },
  },
];

export const presetIds = ['keras-blog', 'pytorch-example', 'keras-conv'] as const;
export type PresetId = (typeof presetIds)[number];

/** The preset with this id; throws on an unknown id (ids are a closed set). */
export function presetById(id: PresetId): Preset {
  const preset = presets.find((p) => p.id === id);
  if (!preset) throw new Error(`No preset "${id}"`);
  return preset;
}
