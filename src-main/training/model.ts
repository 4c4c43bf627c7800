import * as tf from '@tensorflow/tfjs-core';
import type { NamedArray } from './checkpoint';
import { dense } from './ops';
import { REPARAM, runReparam } from './kernels/loss-kernels';
import {
  type Layer,
  type ModelPlan,
  type ModelSpec,
  type Step,
  type WeightSpec,
  planModel,
  weightSpecs,
} from './model-spec';
import { seededRandom, streams } from './rng';

/**
 * A VAE on tfjs-core variables. Layers are applied by hand from the plan in
 * model-spec.ts (no tfjs-layers): every dense layer goes through ops.dense,
 * the one place the performance work swaps in faster kernels.
 *
 * Flat in, flat out: the encoder takes `[batch, pixels]` in [0, 1]; the decoder
 * returns `[batch, pixels]`. The decoder's last layer is kept as logits for a
 * numerically stable loss; {@link Vae.generate} applies the sigmoid.
 */

// tfjs variable names are global to the engine; two models alive at once (a
// test, a resumed run while an old one is disposed) need distinct names.
let instanceCount = 0;

/** Arguments of {@link createVae}. */
export interface CreateVaeArgs {
  spec: ModelSpec;
  /** Seed of the Glorot-uniform initialisation. */
  seed: number;
  /** Start from these weights instead (e.g. a checkpoint); every weight of the plan must be present. */
  weights?: readonly NamedArray[];
}

/** Glorot-uniform values for every weight of the plan (biases zero), from one seeded stream in plan order. */
export function initialWeights(args: { plan: ModelPlan; seed: number }): NamedArray[] {
  const random = seededRandom(args.seed, streams.init);
  return weightSpecs(args.plan).map((spec: WeightSpec) => {
    const size = spec.shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(size);
    if (spec.fanIn + spec.fanOut > 0) {
      const limit = Math.sqrt(6 / (spec.fanIn + spec.fanOut));
      for (let i = 0; i < size; i++) data[i] = (2 * random() - 1) * limit;
    }
    return { name: spec.name, shape: [...spec.shape], data };
  });
}

export class Vae {
  readonly plan: ModelPlan;
  private readonly variables = new Map<string, tf.Variable>();
  private readonly order: string[];

  constructor(args: CreateVaeArgs) {
    this.plan = planModel(args.spec);
    const specs = weightSpecs(this.plan);
    this.order = specs.map((w) => w.name);
    const source = args.weights ?? initialWeights({ plan: this.plan, seed: args.seed });
    const byName = new Map(source.map((w) => [w.name, w]));
    const prefix = `vae${++instanceCount}`;
    for (const spec of specs) {
      const given = byName.get(spec.name);
      checkShape(spec, given);
      this.variables.set(
        spec.name,
        // A copy: the cpu backend would otherwise keep the caller's array as its storage.
        tf.tidy(() =>
          tf.variable(tf.tensor(given.data.slice(), spec.shape, 'float32'), true, `${prefix}/${spec.name}`),
        ),
      );
    }
  }

  get spec(): ModelSpec {
    return this.plan.spec;
  }

  /** The trainable variables in plan order (the optimizer's state follows this order). */
  trainableVariables(): tf.Variable[] {
    return this.order.map((name) => this.variable(name));
  }

  /** Stable weight names in plan order. */
  weightNames(): string[] {
    return [...this.order];
  }

  /** z_mu and z_log_var, each `[batch, latentDim]`. */
  encode(x: tf.Tensor2D): { zMu: tf.Tensor2D; zLogVar: tf.Tensor2D } {
    return tf.tidy(() => {
      const features = this.run(this.plan.encoder, x) as tf.Tensor2D;
      return {
        zMu: this.applyLayer(this.plan.zMu, features) as tf.Tensor2D,
        zLogVar: this.applyLayer(this.plan.zLogVar, features) as tf.Tensor2D,
      };
    });
  }

  /** z = z_mu + exp(z_log_var / 2)·ε. */
  reparameterize(args: { zMu: tf.Tensor2D; zLogVar: tf.Tensor2D; epsilon: tf.Tensor2D }): tf.Tensor2D {
    return reparameterize(args);
  }

  /** The decoder's pre-sigmoid output, `[batch, pixels]`. */
  decodeLogits(z: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => this.run(this.plan.decoder, z, { logits: true }) as tf.Tensor2D);
  }

  /** The generator: decoder applied to latent points, pixel probabilities in [0, 1]. */
  generate(z: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => tf.sigmoid(this.decodeLogits(z)));
  }

  /** Copies of every weight, in plan order. */
  async readWeights(): Promise<NamedArray[]> {
    // Asynchronous: a GPU backend cannot read synchronously in Node.
    const variables = this.order.map((name) => this.variable(name));
    const data = await Promise.all(variables.map((v) => v.data()));
    return this.order.map((name, i) => ({
      name,
      shape: [...variables[i]!.shape],
      data: new Float32Array(data[i] as Float32Array),
    }));
  }

  /** Overwrites every weight (names and shapes must match the plan). */
  assignWeights(weights: readonly NamedArray[]): void {
    const byName = new Map(weights.map((w) => [w.name, w]));
    for (const spec of weightSpecs(this.plan)) {
      const given = byName.get(spec.name);
      checkShape(spec, given);
      tf.tidy(() => this.variable(spec.name).assign(tf.tensor(given.data.slice(), spec.shape, 'float32')));
    }
  }

  dispose(): void {
    for (const v of this.variables.values()) v.dispose();
    this.variables.clear();
  }

  private variable(name: string): tf.Variable {
    const v = this.variables.get(name);
    if (!v) throw new Error(`The model has no weight "${name}"`);
    return v;
  }

  private run(steps: readonly Step[], input: tf.Tensor, options: { logits?: boolean } = {}): tf.Tensor {
    let x = input;
    steps.forEach((step, i) => {
      const last =
        i === steps.length - 1 || (i === steps.length - 2 && steps[steps.length - 1]?.kind === 'flatten');
      const batch = x.shape[0] ?? 0;
      switch (step.kind) {
        case 'toImage':
          x = tf.reshape(x, [batch, step.height, step.width, step.channels]);
          break;
        case 'flatten':
          x = tf.reshape(x, [batch, x.size / Math.max(batch, 1)]);
          break;
        default:
          x = this.applyLayer(step, x, { linear: options.logits === true && last });
      }
    });
    return x;
  }

  private applyLayer(layer: Layer, x: tf.Tensor, options: { linear?: boolean } = {}): tf.Tensor {
    const kernel = this.variable(`${layer.name}/kernel`);
    const bias = this.variable(`${layer.name}/bias`) as tf.Tensor1D;
    const activation = options.linear ? 'linear' : layer.activation;
    switch (layer.kind) {
      case 'dense':
        return dense(x as tf.Tensor2D, kernel as tf.Tensor2D, bias, activation);
      case 'conv2d':
        return activate(
          tf.add(tf.conv2d(x as tf.Tensor4D, kernel as tf.Tensor4D, layer.stride, 'same'), bias),
          activation,
        );
      case 'conv2dTranspose': {
        const batch = x.shape[0] ?? 0;
        const outputShape: [number, number, number, number] = [
          batch,
          layer.outHeight,
          layer.outWidth,
          layer.filters,
        ];
        return activate(
          tf.add(
            tf.conv2dTranspose(x as tf.Tensor4D, kernel as tf.Tensor4D, outputShape, layer.stride, 'same'),
            bias,
          ),
          activation,
        );
      }
    }
  }
}

/** z = z_mu + exp(z_log_var / 2)·ε, one kernel where the backend has ours. */
export function reparameterize(args: {
  zMu: tf.Tensor2D;
  zLogVar: tf.Tensor2D;
  epsilon: tf.Tensor2D;
}): tf.Tensor2D {
  const { zMu, zLogVar, epsilon } = args;
  if (
    [zMu, zLogVar, epsilon].every((t) => t.dtype === 'float32' && t.rank === 2) &&
    tf.getKernel(REPARAM, tf.getBackend()) !== undefined
  )
    return runReparam(zMu, zLogVar, epsilon);
  return reparameterizePlain(args);
}

/** {@link reparameterize} with plain tfjs ops. */
export function reparameterizePlain(args: {
  zMu: tf.Tensor2D;
  zLogVar: tf.Tensor2D;
  epsilon: tf.Tensor2D;
}): tf.Tensor2D {
  return tf.tidy(() => tf.add(args.zMu, tf.mul(tf.exp(tf.mul(args.zLogVar, 0.5)), args.epsilon)));
}

function activate(x: tf.Tensor, activation: 'linear' | 'relu' | 'sigmoid'): tf.Tensor {
  switch (activation) {
    case 'relu':
      return tf.relu(x);
    case 'sigmoid':
      return tf.sigmoid(x);
    case 'linear':
      return x;
  }
}

function checkShape(spec: WeightSpec, given: NamedArray | undefined): asserts given is NamedArray {
  if (!given) throw new Error(`Weights are missing "${spec.name}"`);
  const size = spec.shape.reduce((a, b) => a * b, 1);
  if (given.shape.join('x') !== spec.shape.join('x') || given.data.length !== size) {
    throw new Error(
      `Weight "${spec.name}" has shape [${given.shape.join(', ')}] (${given.data.length} values); ` +
        `the model needs [${spec.shape.join(', ')}]`,
    );
  }
}

/** Builds a VAE; throws ModelSpecError when the architecture cannot take the spec's images. */
export function createVae(args: CreateVaeArgs): Vae {
  return new Vae(args);
}
