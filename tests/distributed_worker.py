"""What tests/test_distributed.py runs under ``mpiexec -n 2``: ``python distributed_worker.py MODE OUT``.

train:    20 SGD steps of an MLP with DistributedDataParallel at batch BATCH per rank, plain
          and with no_sync accumulation (small buckets), the sampler's shares for two epochs
          and the collectives' results, saved to OUT/rank<r>.npz
raise:    rank 1 raises during training; mismatch: rank 1 builds another model;
stall:    rank 1 skips an all_reduce (rank 0 must give up after init(timeout=2))
The single-process reference (``reference_weights``) lives here too, so both sides share
the model, the data and the order of the samples.
"""
import sys
import time

import numpy as np

import kissgrad as kg
import kissgrad.distributed as dist
import nn.functional as F
from kissgrad import nn, optim
from kissgrad.utils.data import DataLoader, DistributedSampler, TensorDataset

N_SAMPLES, STEPS, BATCH, SEED = 160, 20, 8, 3


def dataset():
    rng = np.random.default_rng(0)
    return TensorDataset(kg.tensor(rng.normal(size=(N_SAMPLES, 6))),
                         kg.tensor(rng.integers(0, 3, size=N_SAMPLES)))


def build(hidden=16):
    kg.manual_seed(0)
    return nn.Sequential(nn.Linear(6, hidden), nn.Tanh(), nn.Linear(hidden, 3)).double()


def sgd(model):
    return optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-3)


def weights(model):
    return {name: p.raw.copy() for name, p in model.named_parameters()}


def reference_weights(batch):
    """One process, ``batch`` samples per step, in the order DistributedSampler shuffles."""
    model, data = build(), dataset()
    opt = sgd(model)
    orders = [np.random.default_rng(SEED + epoch).permutation(N_SAMPLES) for epoch in range(10)]
    order = np.concatenate(orders)
    for step in range(STEPS):
        xb, yb = data[order[step * batch:(step + 1) * batch]]
        opt.zero_grad()
        F.cross_entropy(model(xb), yb).backward()
        opt.step()
    return weights(model)


def batches(data, epochs=10):
    sampler = DistributedSampler(data, seed=SEED)  # num_replicas and rank from the world
    for epoch in range(epochs):
        sampler.set_epoch(epoch)
        yield from DataLoader(data, batch_size=BATCH, sampler=sampler)


def train(accumulate, bucket_cap_mb=25):
    model = build()
    ddp = nn.parallel.DistributedDataParallel(model, bucket_cap_mb=bucket_cap_mb)
    opt = sgd(model)
    for _, (xb, yb) in zip(range(STEPS), batches(dataset())):
        opt.zero_grad()
        half = len(yb) // accumulate
        for i in range(accumulate):
            part = slice(i * half, (i + 1) * half)
            last = i == accumulate - 1
            with ddp.no_sync() if not last else _nothing():
                (F.cross_entropy(ddp(xb[part]), yb[part]) / accumulate).backward()
        opt.step()
    return weights(model), len(ddp._buckets)


class _nothing:
    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False


def collectives(rank):
    total, mean, top = (kg.tensor([rank + 1.0]) for _ in range(3))
    dist.all_reduce(total)
    dist.all_reduce(mean, op="mean")
    dist.all_reduce(top, op="max")
    strided = np.arange(12.0).reshape(3, 4)[:, ::2] * (rank + 1)  # not contiguous
    dist.broadcast(strided, src=1)
    dist.barrier()
    return {"sum": total.raw, "mean": mean.raw, "max": top.raw, "broadcast": strided}


def mode_train(rank, out):
    plain, _ = train(accumulate=1)
    accumulated, buckets = train(accumulate=2, bucket_cap_mb=0.0004)
    shares = {}
    for n, drop_last in ((N_SAMPLES, False), (11, False), (11, True)):
        sampler = DistributedSampler(range(n), shuffle=True, seed=5, drop_last=drop_last)
        for epoch in (0, 1):
            sampler.set_epoch(epoch)
            shares[f"sampler_{n}_{drop_last}_{epoch}"] = np.array(list(sampler))
    np.savez(f"{out}/rank{rank}.npz", **{f"plain.{k}": v for k, v in plain.items()},
             **{f"accumulated.{k}": v for k, v in accumulated.items()}, **shares,
             **collectives(rank), buckets=buckets, world=dist.get_world_size())


def mode_raise(rank):
    model = build()
    ddp = nn.parallel.DistributedDataParallel(model)
    for step, (xb, yb) in enumerate(batches(dataset())):
        if rank == 1 and step == 3:
            raise RuntimeError("rank one fails on purpose")
        F.cross_entropy(ddp(xb), yb).backward()


def mode_stall(rank):
    dist.init(timeout=2)
    if rank == 1:
        time.sleep(120)
    dist.all_reduce(kg.tensor([1.0]))


def main(mode, out):
    dist.init()
    rank = dist.get_rank()
    if mode == "train":
        mode_train(rank, out)
    elif mode == "raise":
        mode_raise(rank)
    elif mode == "mismatch":
        nn.parallel.DistributedDataParallel(build(hidden=16 if rank == 0 else 12))
    elif mode == "stall":
        mode_stall(rank)
    print(f"rank {rank} done", flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:3])
