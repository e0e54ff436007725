"""nn.parallel: ``DistributedDataParallel``, data-parallel training over a process group.

Every rank (process) holds a replica of the model and trains on its own share of the data;
after each backward the replicas' gradients are averaged, so every optimizer step is the
same everywhere and the replicas stay equal. The communication itself belongs to
``kissgrad.distributed`` (MPI): imports point one way (``kissgrad`` -> ``nn``), so its
``init()`` hands its process group down here (``set_default_process_group``). A process
group is any object with ``rank``, ``size``, ``allreduce(array, op)`` and
``broadcast(array, src)`` (in place, on contiguous ndarrays) and ``allgather(array)``.

Example (run with ``mpiexec -n 2 python script.py``)::

    import kissgrad.distributed as dist
    dist.init()
    model = nn.parallel.DistributedDataParallel(model)   # rank 0's weights everywhere
    loader = DataLoader(data, batch_size=64, sampler=DistributedSampler(data))
    for xb, yb in loader:
        optimizer.zero_grad()
        F.cross_entropy(model(xb), yb).backward()          # gradients averaged here
        optimizer.step()
"""
import contextlib
import hashlib
import weakref

import numpy as np

from autograd import Tensor, is_grad_enabled
from autograd.engine import topological_order
from autograd.versions import mark_modified

from .module import Module

_DEFAULT_GROUP = [None]
MB = 1024 * 1024  # PyTorch's bucket_cap_mb counts MiB


def set_default_process_group(group):
    """Make ``group`` the one ``DistributedDataParallel`` and ``DistributedSampler`` use when
    given none (``kissgrad.distributed.init()`` calls this); None forgets it."""
    _DEFAULT_GROUP[0] = group


def default_process_group():
    """The process group set by ``kissgrad.distributed.init()``, or None before it."""
    return _DEFAULT_GROUP[0]


def _group_or_default(group, who):
    group = default_process_group() if group is None else group
    if group is None:
        raise RuntimeError(f"{who} needs a process group: call kissgrad.distributed.init() first "
                           f"(and start the script with mpiexec -n N)")
    return group


def broadcast_arrays(group, arrays, src=0):
    """Overwrite ``arrays`` with rank ``src``'s, one broadcast per dtype (flattened together)."""
    by_dtype = {}
    for array in arrays:
        by_dtype.setdefault(array.dtype, []).append(array)
    for dtype, same in by_dtype.items():
        flat = np.concatenate([a.ravel() for a in same]) if same else np.empty(0, dtype)
        group.broadcast(flat, src)
        start = 0
        for a in same:
            a[...] = flat[start:start + a.size].reshape(a.shape)
            start += a.size


class _Bucket:
    """Parameters whose gradients travel together in one allreduce: a flat buffer holding
    every gradient, then one "has a gradient" flag per parameter."""

    def __init__(self, params):
        self.params = params
        sizes = [p.raw.size for p in params]
        self.stops = np.cumsum(sizes)
        self.numel = int(self.stops[-1])
        self.buffer = np.empty(self.numel + len(params), dtype=params[0].raw.dtype)

    def reduce(self, group, last=None, last_grad=None):
        """Replace each gradient by its mean over the ranks (a missing one counts as zeros;
        it stays None only where no rank has one). Parameter ``last`` is taken to have
        ``last_grad`` (an ndarray); its mean is returned (a new array) instead of stored."""
        flat, flags = self.buffer[:self.numel], self.buffer[self.numel:]
        grads = [last_grad if p is last else None if p.grad is None else p.grad.raw for p in self.params]
        for i, grad in enumerate(grads):
            part = flat[self.stops[i] - self.params[i].raw.size:self.stops[i]]
            part[...], flags[i] = (0, 0) if grad is None else (grad.reshape(-1), 1)
        group.allreduce(self.buffer, "sum")
        flat /= group.size
        mean = None
        for i, p in enumerate(self.params):
            values = flat[self.stops[i] - p.raw.size:self.stops[i]].reshape(p.shape)
            if p is last:
                mean = values.astype(p.raw.dtype, copy=True)
            elif flags[i]:
                _set_grad(p, values)
        return mean


def _set_grad(p, values):
    grad = p.grad
    if grad is not None and grad.raw.flags.writeable and grad.raw.dtype == values.dtype:
        grad.raw[...] = values  # the gradient's own array: no allocation per step
    else:
        p.grad = Tensor(values.astype(p.raw.dtype, copy=True))


def make_buckets(params, cap_bytes):
    """``params`` in reverse order (as backward meets them), cut into buckets of at most
    ``cap_bytes`` of gradients (a larger parameter gets a bucket of its own), one dtype each."""
    buckets, current, size = [], [], 0
    for p in reversed(params):
        nbytes = p.raw.nbytes
        if current and (size + nbytes > cap_bytes or p.raw.dtype != current[0].raw.dtype):
            buckets.append(_Bucket(current))
            current, size = [], 0
        current.append(p)
        size += nbytes
    if current:
        buckets.append(_Bucket(current))
    return buckets


def _tensors_in(output):
    """The Tensors in a forward's output (a Tensor, or tuples, lists and dicts of them)."""
    if isinstance(output, Tensor):
        return [output]
    if isinstance(output, dict):
        output = list(output.values())
    if isinstance(output, (tuple, list)):
        return [t for item in output for t in _tensors_in(item)]
    return []


class DistributedDataParallel(Module):
    """The wrapped ``module``, its gradients averaged over the ranks after each backward.

    At wrap time it checks that every rank holds a model of the same parameter shapes
    (``ValueError`` naming the ranks that differ) and copies rank 0's parameters and buffers
    to every rank. A forward (with grad enabled) notes which parameters its output depends
    on; when the last of them has its gradient, backward's gradients are averaged in
    buckets of about ``bucket_cap_mb`` MiB, one allreduce per bucket, so ``loss.backward()``
    followed by ``optimizer.step()`` is all a training loop needs.

    Differences from PyTorch: parameters the output does not reach are always found (as
    ``find_unused_parameters=True``, at the cost of one walk over the graph per forward):
    their gradients are averaged too (a missing one counts as zeros) and stay None where no
    rank has one. The reduction runs at the end of backward, not overlapped with it: this
    engine reaches every parameter (a leaf) last. CPU only: ``device_ids`` must be None.
    Not for ``create_graph=True`` backward passes.

    Example::

        ddp = nn.parallel.DistributedDataParallel(model)
        with ddp.no_sync():                  # accumulate locally, no communication
            loss_fn(ddp(x1), y1).backward()
        loss_fn(ddp(x2), y2).backward()      # averages the accumulated gradients
    """

    def __init__(self, module, device_ids=None, output_device=None, dim=0, broadcast_buffers=True,
                 process_group=None, bucket_cap_mb=25, find_unused_parameters=False):
        super().__init__()
        if device_ids not in (None, [], ["cpu"]) or output_device not in (None, "cpu"):
            raise ValueError(f"DistributedDataParallel runs on the CPU only: leave device_ids "
                             f"and output_device out (got device_ids={device_ids!r})")
        if not (isinstance(bucket_cap_mb, (int, float)) and bucket_cap_mb > 0):
            raise ValueError(f"bucket_cap_mb should be a positive number, got "
                             f"bucket_cap_mb={bucket_cap_mb!r}")
        self.module = module
        self.process_group = _group_or_default(process_group, "DistributedDataParallel")
        self.broadcast_buffers = broadcast_buffers
        self.require_backward_grad_sync = True
        params = [p for p in module.parameters() if p.requires_grad]
        _check_same_model(self.process_group, module)
        broadcast_arrays(self.process_group, [t.raw for t in self._tensors()])
        for t in self._tensors():
            mark_modified(t)
        self._buckets = make_buckets(params, bucket_cap_mb * MB)
        self._params = {id(p): p for p in params}
        self._pending, self._fired = None, False
        for p in params:
            p.register_hook(self._hook_for(p))

    def _tensors(self):
        return list(self.module.parameters()) + list(self.module.buffers())

    def forward(self, *args, **kwargs):
        """The module's output; notes which parameters backward must bring gradients to."""
        if self.process_group.size == 1:  # alone: nothing to average, nothing to note
            return self.module(*args, **kwargs)
        if self.broadcast_buffers:
            buffers = list(self.module.buffers())
            if buffers:  # rank 0's running statistics everywhere, as PyTorch does per forward
                broadcast_arrays(self.process_group, [b.raw for b in buffers])
        output = self.module(*args, **kwargs)
        if not (is_grad_enabled() and self.require_backward_grad_sync):
            self._pending = None  # this forward's backward accumulates without averaging
            return output
        roots = [t for t in _tensors_in(output) if t.requires_grad]
        reached = {id(n) for n in topological_order(roots) if id(n) in self._params} if roots else set()
        self._expect(reached)
        return output

    def _expect(self, reached):
        if self._pending and self._fired:
            names = [n for n, p in self.module.named_parameters() if id(p) in self._pending]
            raise RuntimeError(f"DistributedDataParallel: the last backward brought no gradient to "
                               f"{', '.join(names)}, though the forward's output depends on them; "
                               f"every output that needs parameters must take part in the loss")
        self._pending = reached | (self._pending or set())
        self._fired = False

    def _hook_for(self, p):
        wrapper = weakref.ref(self)  # the parameter's hook must not keep a dropped wrapper alive

        def average_after_last_gradient(g):
            ddp = wrapper()
            pending = None if ddp is None else ddp._pending
            if pending is None or id(p) not in pending:
                return None
            if g.requires_grad:
                raise RuntimeError("DistributedDataParallel does not support backward with "
                                   "create_graph=True")
            pending.discard(id(p))
            ddp._fired = True
            if pending:
                return None
            # the last gradient this backward brings (every other .grad is complete): reduce
            # now, with this one's .grad as it would be, and hand the engine its mean to store
            ddp._pending = None
            mean = ddp.reduce_gradients(p, g.raw if p.grad is None else p.grad.raw + g.raw)
            p.grad = None
            return mean
        return average_after_last_gradient

    def reduce_gradients(self, last=None, last_grad=None):
        """Average every parameter's ``.grad`` over the ranks now, one allreduce per bucket
        (backward calls this itself; call it by hand only after filling ``.grad`` yourself).
        ``last``, ``last_grad``: see ``_Bucket.reduce``; its mean is returned."""
        means = [bucket.reduce(self.process_group, last, last_grad) for bucket in self._buckets]
        return next((m for m in means if m is not None), None)

    @contextlib.contextmanager
    def no_sync(self):
        """Context manager: forward and backward passes inside it accumulate gradients locally,
        with no communication; the first synchronised backward after it averages the sum."""
        previous = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = previous


def _model_signature(module):
    """``[parameter count, element count, digest of the shapes and dtypes]`` as int64."""
    specs = [(tuple(t.shape), t.raw.dtype.str) for t in module.parameters()]
    specs += [("buffer", tuple(t.shape), t.raw.dtype.str) for t in module.buffers()]
    digest = hashlib.blake2b(repr(specs).encode(), digest_size=7).digest()
    numel = sum(t.raw.size for t in module.parameters())
    return np.array([len(list(module.parameters())), numel, int.from_bytes(digest, "little")],
                    dtype=np.int64)


def _check_same_model(group, module):
    """``ValueError`` on every rank when the ranks' models differ in parameter shapes."""
    every = group.allgather(_model_signature(module))
    differ = [r for r in range(group.size) if not np.array_equal(every[r], every[0])]
    if differ:
        described = "; ".join(f"rank {r}: {every[r][0]} parameters, {every[r][1]:,} elements"
                              + (" (other shapes)" if r in differ else "") for r in range(group.size))
        raise ValueError(f"DistributedDataParallel: the model on rank(s) "
                         f"{', '.join(map(str, differ))} differs from rank 0's ({described}); "
                         f"every rank must build the same model")
