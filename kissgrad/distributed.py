"""kissgrad.distributed: processes that train together over MPI, with ``torch.distributed``'s names.

Start N copies of a script with ``mpiexec -n N python script.py`` (or ``mpiexec -n N
kissgrad train --distributed``); each calls ``init()`` and learns its ``get_rank()`` among
``get_world_size()``. ``all_reduce``, ``broadcast`` and ``barrier`` work in place on the
NumPy buffers of Tensors (nothing is pickled). MPI comes from mpi4py: ``pip install
'kissgrad[mpi]'`` brings mpi4py and MPICH as wheels; on a cluster use its own MPI instead
(``module load`` it, then ``pip install mpi4py`` builds against it).

A failing rank never leaves the others waiting: after ``init()`` an uncaught exception
prints its traceback, names the rank and aborts the whole job (``MPI_Abort``); a rank
that is killed is noticed by ``mpiexec``, which stops the others; and a collective that
waits longer than ``timeout`` seconds (a rank stuck, or one that skipped it) aborts the
job naming the rank that waited.

Example::

    import kissgrad.distributed as dist
    dist.init()
    total = kg.tensor([float(dist.get_rank())])
    dist.all_reduce(total)                 # 0 + 1 + ... + (N - 1) on every rank
"""
import os
import socket
import sys
import time

import numpy as np

import nn.parallel
from autograd import Tensor
from autograd.versions import mark_modified

INSTALL_HINT = ("pip install 'kissgrad[mpi]' (mpi4py and MPICH from wheels), or on a cluster "
                "pip install mpi4py after loading its MPI (module load mpi)")
# seconds a collective may wait for the other ranks before the job is aborted (a rank stuck
# or gone astray); generous, because a rank may legitimately be busy (validation, saving)
DEFAULT_TIMEOUT = 600.0
ABORT_GRACE = 0.5  # seconds
# seconds a collective polls without sleeping: an allreduce takes several rounds, each
# needing a test on every rank, and sleeping between tests made a 1 MB allreduce 7x slower
SPIN = 0.2
_yield = getattr(os, "sched_yield", lambda: None)
OPS = ("sum", "mean", "avg", "max", "min")
_HOST_BYTES = 64


class ReduceOp:
    """The reductions ``all_reduce`` knows, under ``torch.distributed.ReduceOp``'s names."""

    SUM, AVG, MAX, MIN = "sum", "mean", "max", "min"


def _mpi():
    try:
        from mpi4py import MPI
    except ImportError as error:
        raise ImportError(f"kissgrad.distributed needs mpi4py and an MPI library ({error}): "
                          f"{INSTALL_HINT}") from None
    return MPI


def is_available():
    """Whether mpi4py (and so MPI) can be imported."""
    try:
        _mpi()
    except ImportError:
        return False
    return True


class _MPIGroup:
    """The ranks of ``MPI.COMM_WORLD``: collectives on contiguous ndarrays, each waited for
    with a deadline (the timeout guard) instead of blocking forever."""

    def __init__(self, MPI, timeout):
        self.MPI, self.comm, self.timeout = MPI, MPI.COMM_WORLD, float(timeout)
        self.rank, self.size = self.comm.Get_rank(), self.comm.Get_size()
        self.ops = {"sum": MPI.SUM, "max": MPI.MAX, "min": MPI.MIN}
        self.hosts, self.pids = [socket.gethostname()], [os.getpid()]
        if self.size > 1:
            self.hosts, self.pids = self._gather_identities()

    def _gather_identities(self):
        host = np.zeros(_HOST_BYTES, np.uint8)
        name = socket.gethostname().encode()[:_HOST_BYTES]
        host[:len(name)] = np.frombuffer(name, np.uint8)
        hosts = self.allgather(host)
        pids = self.allgather(np.array([os.getpid()], np.int64))
        return [bytes(h).rstrip(b"\0").decode(errors="replace") for h in hosts], pids[:, 0].tolist()

    def describe(self, rank):
        """``"rank 1 (pid 4242 on node7)"``."""
        return f"rank {rank} (pid {self.pids[rank]} on {self.hosts[rank]})"

    def allreduce(self, array, op="sum"):
        if self.size > 1:
            self._wait(self.comm.Iallreduce(self.MPI.IN_PLACE, array, op=self.ops[op]), "all_reduce")

    def broadcast(self, array, src=0):
        if self.size > 1:
            self._wait(self.comm.Ibcast(array, root=src), "broadcast")

    def allgather(self, array):
        out = np.empty((self.size,) + array.shape, array.dtype)
        if self.size == 1:
            out[0] = array
        else:
            self._wait(self.comm.Iallgather(np.ascontiguousarray(array), out), "all_gather")
        return out

    def barrier(self):
        if self.size > 1:
            self._wait(self.comm.Ibarrier(), "barrier")

    def _wait(self, request, what):
        """Wait for ``request``: testing it in a loop that yields the core (as fast as MPI's
        blocking wait) for ``SPIN`` seconds, then sleeping longer and longer between tests
        (a long wait leaves the core to busier processes); abort after ``timeout`` seconds."""
        start, pause = time.monotonic(), 0.0
        while not request.Test():
            waited = time.monotonic() - start
            if waited < SPIN:
                _yield()
                continue
            if waited > self.timeout:
                self.abort(f"{what} waited {self.timeout:g} s for the other ranks, which did not "
                           f"arrive (stuck, or one skipped this {what}); set "
                           f"KISSGRAD_DISTRIBUTED_TIMEOUT or init(timeout=) to wait longer")
            time.sleep(pause)
            pause = min(2 * pause or 1e-5, 1e-3)

    def abort(self, message, code=1):
        """Print ``message`` naming this rank, then stop every rank of the job."""
        print(f"kissgrad.distributed: {self.describe(self.rank)} of {self.size}: {message}",
              file=sys.stderr, flush=True)
        sys.stdout.flush()
        # mpiexec stops forwarding this rank's output once it hears of the abort: give it
        # time to pass on what was just printed (else the message is sometimes lost)
        time.sleep(ABORT_GRACE)
        self.comm.Abort(code)


_STATE = {"group": None, "excepthook": None}
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def _share_cores(group):
    """Split the host's cores between the BLAS thread pools of the ranks it runs, unless a
    thread count was set (as torchrun does): 2 ranks of 2 BLAS threads on 2 cores made a
    step 25x slower than 2 ranks of 1 thread (``python -m bench.mpi``)."""
    here = group.hosts.count(group.hosts[group.rank])
    if here == 1 or any(name in os.environ for name in THREAD_VARIABLES):
        return
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        if group.rank == 0:
            print(f"kissgrad.distributed: note: {here} ranks share this host's {cores} cores and each "
                  f"BLAS may start {cores} threads; set OMP_NUM_THREADS={max(1, cores // here)} "
                  f"(or pip install threadpoolctl)", file=sys.stderr, flush=True)
        return
    threadpool_limits(max(1, cores // here))


def init(timeout=None):
    """Join the job ``mpiexec`` started (a job of one without it); returns the world size.

    Also makes an uncaught exception on any rank abort the whole job, naming the rank,
    registers the group with ``nn.parallel`` (``DistributedDataParallel`` and
    ``DistributedSampler`` then need no arguments) and, unless ``OMP_NUM_THREADS`` (or
    another BLAS thread count) is set, splits each host's cores between its ranks' BLAS
    thread pools (with threadpoolctl, which the ``mpi`` extra installs). Calling it again changes only
    ``timeout``: seconds a collective may wait for the others (default 600, or
    ``KISSGRAD_DISTRIBUTED_TIMEOUT``) before the job is aborted.
    """
    if timeout is not None and not (isinstance(timeout, (int, float)) and timeout > 0):
        raise ValueError(f"timeout should be a positive number of seconds, got timeout={timeout!r}")
    group = _STATE["group"]
    if group is None:
        group = _MPIGroup(_mpi(), _timeout_from_environment())
        _STATE["group"] = group
        _STATE["excepthook"] = sys.excepthook
        sys.excepthook = _abort_on_uncaught
        nn.parallel.set_default_process_group(group)
        _share_cores(group)
    if timeout is not None:
        group.timeout = float(timeout)
    return group.size


def _timeout_from_environment():
    text = os.environ.get("KISSGRAD_DISTRIBUTED_TIMEOUT", str(DEFAULT_TIMEOUT))
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value > 0:
        raise ValueError(f"KISSGRAD_DISTRIBUTED_TIMEOUT should be a positive number of seconds, "
                         f"got {text!r}")
    return value


def init_process_group(backend=None, timeout=None, **ignored):
    """``init()`` under PyTorch's name, for ported scripts: ``backend`` ("mpi", "gloo" or None)
    is always MPI; rank and world size come from ``mpiexec``, so the rest is ignored."""
    if backend not in (None, "mpi", "gloo"):
        raise ValueError(f"backend={backend!r}: kissgrad runs on MPI (CPU); use 'mpi' or leave it out")
    init(getattr(timeout, "total_seconds", lambda: timeout)())


def _abort_on_uncaught(kind, value, traceback):
    _STATE["excepthook"](kind, value, traceback)
    group = _STATE["group"]
    if group is not None and group.size > 1:
        group.abort(f"{kind.__name__}: {value}; stopping all {group.size} ranks")


def is_initialized():
    """Whether ``init()`` has run in this process."""
    return _STATE["group"] is not None


def _group():
    group = _STATE["group"]
    if group is None:
        raise RuntimeError("kissgrad.distributed is not initialized: call kissgrad.distributed.init() "
                           "first (and start the script with mpiexec -n N)")
    return group


def get_rank():
    """This process's rank, 0 to ``get_world_size() - 1``."""
    return _group().rank


def get_world_size():
    """The number of processes in the job."""
    return _group().size


def rank_table():
    """``[(rank, host, pid), ...]`` of every rank: which process a launcher's message is about."""
    group = _group()
    return [(r, group.hosts[r], group.pids[r]) for r in range(group.size)]


def _buffer(tensor, what):
    raw = tensor.raw if isinstance(tensor, Tensor) else tensor
    if not isinstance(raw, np.ndarray):
        raise TypeError(f"{what} works on a Tensor or an ndarray, got {type(tensor).__name__}")
    if not raw.flags.writeable:
        raise ValueError(f"{what}: the tensor's array is read-only (a broadcast view?); pass a copy")
    return raw


def _in_place(tensor, what, call):
    """Run ``call`` on a contiguous array of ``tensor``'s values and store the result back."""
    raw = _buffer(tensor, what)
    work = raw if raw.flags.c_contiguous else np.ascontiguousarray(raw)
    call(work)
    if work is not raw:
        raw[...] = work
    if isinstance(tensor, Tensor):
        mark_modified(tensor)  # a graph that saved it must not backpropagate stale values
    return tensor


def all_reduce(tensor, op="sum"):
    """Replace ``tensor`` (a Tensor or ndarray) in place by its sum over the ranks (``op="mean"``:
    the mean; also "max", "min"); returns it. PyTorch returns None."""
    if op not in OPS:
        raise ValueError(f"all_reduce: op={op!r} is not one of {', '.join(OPS)}")
    group, mean = _group(), op in ("mean", "avg")
    if mean and _buffer(tensor, "all_reduce").dtype.kind not in "fc":
        raise TypeError(f"all_reduce: op={op!r} needs a floating tensor, got "
                        f"{_buffer(tensor, 'all_reduce').dtype}")

    def reduce(array):
        group.allreduce(array, "sum" if mean else op)
        if mean:
            array /= group.size
    return _in_place(tensor, "all_reduce", reduce)


def broadcast(tensor, src=0):
    """Overwrite ``tensor`` in place with rank ``src``'s values; returns it."""
    group = _group()
    if not (isinstance(src, int) and 0 <= src < group.size):
        raise ValueError(f"broadcast: src={src!r} is not a rank (0 to {group.size - 1})")
    return _in_place(tensor, "broadcast", lambda array: group.broadcast(array, src))


def barrier():
    """Return once every rank has called ``barrier()``."""
    _group().barrier()


def abort(message, code=1):
    """Print ``message`` naming this rank and stop every rank of the job with status ``code``
    (``MPI_Abort``): for a failure the other ranks cannot learn of."""
    _group().abort(message, code)
