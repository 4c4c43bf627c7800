import * as tf from '@tensorflow/tfjs-core';
import { parentPort } from 'node:worker_threads';
import { hyperparamsSchema } from '../../shared/hyperparams';
import { isErrorCode } from '../../shared/result';
import { loadDataset } from '../datasets';
import { initBackend } from './backend';
import { checkpointBuffers } from './checkpoint';
import { DecoderCache } from './decode';
import { TrainingError } from './errors';
import { kernelThreadCount } from './kernels/conv-threads';
import { snapshotBuffers, train } from './loop';
import {
  type DecodeRequest,
  type HostMessage,
  type TrainingJob,
  type WireError,
  type WorkerMessage,
  isHostMessage,
} from './protocol';

/**
 * The training worker: one long-lived worker_threads Worker, owned by
 * host.ts, that trains one run at a time and decodes latent points between
 * runs, so the main event loop never computes. The host starts a second one
 * for decoding only while the first trains. Never imports electron.
 */

const port = parentPort;
if (!port) throw new Error('worker.js runs inside a worker thread started by TrainingHost');

// Silences tfjs' console advertisement for tfjs-node on the cpu backend; the
// run already reports which backend it uses and why.
tf.enableProdMode();

let seq = 0;
let current: { runId: string; startSeq: number; stopRequested: boolean } | null = null;

type Outgoing = WorkerMessage extends infer M ? (M extends WorkerMessage ? Omit<M, 'seq'> : never) : never;

function post(message: Outgoing, transfer: ArrayBuffer[] = []): void {
  port?.postMessage({ ...message, seq: ++seq }, transfer);
}

function toWireError(error: unknown): WireError {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    if (isErrorCode(code)) return { name: error.name, message: error.message, code };
    // Anything without a contract code is a bug: its stack goes to the log, the user gets the sentence.
    console.error('[training worker]', error);
    return { name: error.name, message: error.message, code: 'internal' };
  }
  console.error('[training worker]', error);
  return { name: 'Error', message: String(error), code: 'internal' };
}

const decoders = new DecoderCache();
/** The backend decoding runs on; a training run sets its own, after which decoding sets it again. */
let decodeBackend: Promise<unknown> | null = null;

async function decode({
  request,
  native,
  replyTo,
}: {
  request: DecodeRequest;
  native: boolean;
  replyTo: number;
}): Promise<void> {
  // During a run (a decode sent just before its start), the run's backend serves.
  if (current === null) decodeBackend ??= initBackend({ choice: 'auto', arch: request.spec.arch, native });
  try {
    await decodeBackend;
  } catch (error) {
    decodeBackend = null;
    throw error;
  }
  const { images, count } = await decoders.decode(request);
  post({ type: 'decoded', replyTo, images, count }, [images.buffer as ArrayBuffer]);
}

async function run(job: TrainingJob, startSeq: number): Promise<void> {
  const parsed = hyperparamsSchema.safeParse(job.hyperparams);
  if (!parsed.success) {
    throw new TrainingError('invalid_argument', parsed.error.issues.map((issue) => issue.message).join(' '));
  }
  const hyperparams = parsed.data;
  const expectedStart = (job.checkpoint?.epoch ?? 0) + 1;
  if (job.startEpoch !== expectedStart) {
    throw new TrainingError(
      'invalid_argument',
      `Epoch ${job.startEpoch} cannot be the first to train: the ${job.checkpoint ? `checkpoint is of epoch ${job.checkpoint.epoch}` : 'run has no checkpoint'}.`,
    );
  }
  decodeBackend = null;
  const backend = await initBackend({ choice: job.backend, arch: hyperparams.arch });
  const dataset = await loadDataset(job.dataset);
  post({
    type: 'ready',
    replyTo: startSeq,
    runId: job.runId,
    backend: backend.name,
    // The run records how many threads its kernels used (only ours on wasm use more than one).
    device:
      backend.name === 'wasm'
        ? `${backend.device}, ${threadsText(kernelThreadCount(hyperparams.threads))}`
        : backend.device,
    notes: backend.notes,
  });

  const result = await train({
    runId: job.runId,
    dataset,
    hyperparams,
    checkpoint: job.checkpoint,
    shouldStop: () => current?.stopRequested === true,
    callbacks: {
      onProgress: (progress) => post({ type: 'progress', replyTo: startSeq, progress }),
      onBatches: (batches) => post({ type: 'batches', replyTo: startSeq, runId: job.runId, batches }),
      onEpoch: ({ metrics, snapshot, checkpoint }) => {
        // Transferred, not copied: a checkpoint of the reference model is ~5 MB an epoch.
        const transfer = [...new Set([...snapshotBuffers(snapshot), ...checkpointBuffers(checkpoint)])];
        post({ type: 'epoch', replyTo: startSeq, runId: job.runId, metrics, snapshot, checkpoint }, transfer);
      },
    },
  });
  post({
    type: 'done',
    replyTo: startSeq,
    runId: job.runId,
    status: result.status,
    message: result.message,
    lastEpoch: result.lastEpoch,
  });
}

function handle(message: HostMessage): void {
  switch (message.type) {
    case 'start': {
      if (current) {
        post({
          type: 'error',
          replyTo: message.seq,
          runId: message.job.runId,
          error: {
            name: 'TrainingError',
            code: 'conflict',
            message: `Run ${current.runId} is still training; one run at a time.`,
          },
        });
        return;
      }
      const active = { runId: message.job.runId, startSeq: message.seq, stopRequested: false };
      current = active;
      run(message.job, message.seq)
        .catch((error: unknown) => {
          post({ type: 'error', replyTo: message.seq, runId: message.job.runId, error: toWireError(error) });
        })
        .finally(() => {
          if (current === active) current = null;
        });
      return;
    }
    case 'stop':
      if (current?.runId === message.runId) current.stopRequested = true;
      return;
    case 'decode':
      decode({ request: message.request, native: message.native, replyTo: message.seq }).catch(
        (error: unknown) => {
          post({ type: 'error', replyTo: message.seq, runId: null, error: toWireError(error) });
        },
      );
      return;
  }
}

port.on('message', (message: unknown) => {
  if (!isHostMessage(message)) {
    post({
      type: 'error',
      replyTo: null,
      runId: null,
      error: {
        name: 'TypeError',
        code: 'malformed_message',
        message: 'The training worker received a message it cannot read.',
      },
    });
    return;
  }
  handle(message);
});

function threadsText(count: number): string {
  return count === 1 ? '1 thread' : `${count} threads`;
}
