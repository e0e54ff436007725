"""The processes a ``kissgrad train`` run trains in: this one alone, or the ranks of
``mpiexec -n N kissgrad train --distributed``, of which rank 0 writes, prints and has the last
word on every number.
"""
import io
import json
import os

import numpy as np

import nn
from nn.serialization import load as load_file

from .run_files import CHECKPOINT_FILE, RunRefused, load_checkpoint


class World:
    """The processes training together: this one alone, or (``distributed``) the ranks of
    ``mpiexec``, of which rank 0 writes, prints and has the last word on every number."""

    def __init__(self, distributed):
        self.group, self.rank, self.size = None, 0, 1
        if distributed:
            from . import distributed as dist

            try:
                dist.init()
            except ImportError as error:
                raise RunRefused(f"--distributed: {error}") from None
            self.group = nn.parallel.default_process_group()
            self.rank, self.size = dist.get_rank(), dist.get_world_size()
            self.table = "; ".join(f"rank {r} pid {pid} on {host}" for r, host, pid in dist.rank_table())
        self.is_main = self.rank == 0

    def from_main(self, values):
        """``values`` (floats) as rank 0 has them, on every rank."""
        if self.size == 1:
            return list(values)
        array = np.array(values, np.float64)
        self.group.broadcast(array, 0)
        return array.tolist()

    def sum(self, values):
        """The element-wise sum of ``values`` (floats) over the ranks."""
        array = np.array(values, np.float64)
        if self.size > 1:
            self.group.allreduce(array, "sum")
        return array

    def evaluate(self, measure, X, y):
        """``measure(X, y) -> (loss, accuracy)`` over all of ``X, y``, each rank measuring its
        share."""
        if self.size == 1:
            return measure(X, y)
        X, y = X[self.rank::self.size], y[self.rank::self.size]
        loss, accuracy = measure(X, y) if len(y) else (0.0, 0.0)
        total_loss, correct, count = self.sum([loss * len(y), accuracy * len(y), len(y)])
        return total_loss / count, correct / count

    def on_main(self, task):
        """``task()`` (bytes or None) run on rank 0 alone and its result given to every rank;
        a refusal or file error it raises is raised on every rank (rank 0's message)."""
        if self.size == 1:
            return task()
        result, failure = None, None
        if self.is_main:
            try:
                result = task()
            except (RunRefused, SystemExit, OSError) as error:
                failure = error
        report = self._share(json.dumps([type(failure).__name__, str(failure)]).encode()
                             if failure else b"")
        if failure:
            raise failure
        if report:  # rank 0's failure: the same here (a SystemExit quietly: rank 0 said why)
            kind, message = json.loads(report)
            raise {"RunRefused": RunRefused(message), "OSError": OSError(message)}.get(kind, SystemExit(1))
        return self._share(result)

    def _share(self, data):
        """Rank 0's ``data`` (bytes or None) on every rank, without pickling."""
        size = np.array([-1 if data is None else len(data)], np.int64)
        self.group.broadcast(size, 0)
        if size[0] < 0:
            return None
        buffer = np.frombuffer(data, np.uint8).copy() if self.is_main else np.empty(size[0], np.uint8)
        self.group.broadcast(buffer, 0)
        return buffer.tobytes()


def read_checkpoint(out, distributed=False):
    """``load_checkpoint(out)``; with ``distributed``, read on rank 0 and broadcast (the
    other ranks need no access to ``out``)."""
    world = World(distributed)
    if world.size == 1:
        return load_checkpoint(out)
    return load_file(io.BytesIO(world.on_main(lambda: _checkpoint_bytes(out))))


def _checkpoint_bytes(out):
    load_checkpoint(out)  # RunRefused unless it is a readable checkpoint
    with open(os.path.join(out, CHECKPOINT_FILE), "rb") as file:
        return file.read()
