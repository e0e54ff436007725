"""Who is who in a backward graph: each node's name, the module it belongs to, and the time
step of an unrolled recurrence. ``draw_graph`` and the interactive page collapse this
hierarchy (modules, then steps inside them) to the depth asked for.

The graph holds no module boundaries, so membership is read from the parameters (a
``model`` is duck-typed: ``named_parameters`` and ``named_modules``), by these rules:

- a parameter belongs to the module that holds it; an op on one module's weights alone
  (``W.T``, ``b_ih + b_hh``) too, and so does an op consuming those weights (an *anchor*);
- an op with one differentiable input, the only consumer of an op of module M, of the same
  shape and with no other non-scalar input (an activation right after a layer) joins M;
- a recurrence is a weight consumed by several anchors of one module, one per time step,
  in the order they were made; a step is everything made from its anchor to the next (the
  last step as long as the one before it), nodes made before the loop join the step that
  alone consumes them, and an op joining several steps (``stack`` of the outputs) joins M;
- a node lying on paths between members of M that cross no other module's nodes joins M.

Parameterless modules (ReLU, pooling, flatten) leave no trace in the graph; their ops
stay outside every module unless a rule above takes them in.
"""
import bisect

import numpy as np

from .. import engine
from ..node import SEQUENCE_NUMBER, Node
from .record import GradStats, edge_stats, stats_of

__all__ = ["Group", "Structure", "grad_fn_name"]


def grad_fn_name(op_name):
    """PyTorch's spelling of a backward node: ``"softmax_cross_entropy"`` ->
    ``"SoftmaxCrossEntropyBackward0"`` (kissgrad's ``grad_fn`` is the op name itself)."""
    return "".join(part[:1].upper() + part[1:] for part in op_name.split("_")) + "Backward0"


class Group:
    """A box of the drawing: a module (``kind="module"``) or one time step of a recurrence
    in one (``kind="step"``). ``nodes``: indices of every node inside, nested boxes included;
    ``grad_at_outputs``/``grad_at_inputs``: combined ``GradStats`` of the gradient backward
    brought to its outputs and sent on to its (non-parameter) inputs."""

    __slots__ = ("key", "kind", "name", "type_name", "parent", "level", "loop", "step",
                 "steps", "nodes", "ops", "grad_at_outputs", "grad_at_inputs")

    def title(self):
        """``"lstm (LSTM)"``, ``"lstm step 3"``: what a collapsed box says first."""
        if self.kind == "step":
            loop = f" (loop {self.loop + 1})" if self.loop else ""  # a second layer's loop
            return f"{self.name} step {self.step}{loop}".lstrip()
        return f"{self.name} ({self.type_name})" if self.name else self.type_name  # the model


class Structure:
    """The graph behind ``root`` in topological order (parents first), with names, module
    membership, time steps and gradient statistics; see the module docstring for the rules.

    Per node ``i``: ``nodes[i]``, ``parents[i]``/``consumers[i]`` (indices), ``names[i]``,
    ``path[i]`` (keys of the groups holding it, outermost first), ``stats[i]`` and
    ``edge_stats(i)`` (one ``GradStats`` or None per parent). ``groups``: key -> ``Group``.
    """

    def __init__(self, root, model=None, names=None, show_grad=True):
        self.root = root
        self.nodes = engine.topological_order([root], follow=lambda p: True)
        self.index = {id(n): i for i, n in enumerate(self.nodes)}
        self.parents = [[self.index[id(p)] for p in n.parents] for n in self.nodes]
        self.consumers = [[] for _ in self.nodes]
        for i, parents in enumerate(self.parents):
            for j in parents:
                self.consumers[j].append(i)
        owners = _owners(model) if model is not None else {}
        self.names = _names(self.nodes, owners, names)
        self.show_grad = show_grad
        self.stats = [stats_of(n) if show_grad else None for n in self.nodes]
        self._edge_stats = {}
        module_of, step_of = _membership(self, owners) if owners else ({}, {})
        self.groups, self.path = _groups(self, module_of, step_of, _module_types(model))
        self.group_ids = {key: n for n, key in enumerate(self.groups)}
        for group in self.groups.values():
            _aggregate(self, group)

    def is_param(self, i):
        """Whether node ``i`` is a leaf that requires grad (a parameter: never cut)."""
        return self.nodes[i].op is None and self.nodes[i].requires_grad

    def edge_stats(self, i):
        """One ``GradStats`` (or None) per parent of node ``i``: what flowed back along it."""
        if i not in self._edge_stats:
            node = self.nodes[i]
            self._edge_stats[i] = (edge_stats(node, lambda p: self.stats[self.index[id(p)]])
                                   if self.show_grad else [None] * len(node.parents))
        return self._edge_stats[i]

    def max_level(self):
        """The deepest group level (0 when there is no group)."""
        return max((g.level for g in self.groups.values()), default=0)


# --- names ----------------------------------------------------------------------------


def _owners(model):
    """id(param) -> (dotted parameter name, name of the module that holds it)."""
    names = {id(p): name for name, p in model.named_parameters()}
    owners = {}
    for module_name, module in model.named_modules():
        for _, param in module.named_parameters(recurse=False):
            if id(param) in names and id(param) not in owners:
                owners[id(param)] = (names[id(param)], module_name)
    return owners


def _module_types(model):
    return {} if model is None else {name: type(m).__name__ for name, m in model.named_modules()}


def _names(nodes, owners, names):
    """Each node's name: a Value's label, else its name in ``names`` (a mapping such as
    ``locals()``; names without a leading underscore win), else its parameter name."""
    given = {}
    for name, obj in (names or {}).items():
        if isinstance(obj, Node):
            old = given.get(id(obj))
            if old is None or (old.startswith("_") and not str(name).startswith("_")):
                given[id(obj)] = str(name)
    result = []
    for node in nodes:
        label = getattr(node, "label", "")
        owner = owners.get(id(node))
        result.append(label or given.get(id(node)) or (owner[0] if owner else ""))
    return result


# --- membership -----------------------------------------------------------------------


def _membership(s, owners):
    """(node index -> module name, node index -> (module, loop, step)) by the docstring's rules."""
    weights_of, member, anchors = _anchors(s, owners)
    loops = _loops(s, member, anchors, weights_of)
    for module, starts, end in loops:
        _take_last_step(s, member, module, starts, end)
    for module in {m for m in member.values()}:
        if sum(member.get(i) == module for i in anchors) > 1:
            for i in _enclosed(s, member, module):
                member[i] = module
    step_of = _steps(s, member, weights_of, loops)
    _take_joins(s, member, step_of)
    return member, step_of


def _anchors(s, owners):
    weights_of, member, anchors = {}, {}, []
    for i, node in enumerate(s.nodes):
        if id(node) in owners:
            weights_of[i] = member[i] = owners[id(node)][1]
            continue
        if node.op is None:
            continue
        pairs = list(zip(s.parents[i], node.parents))
        # computed from one module's weights alone (W.T, w * 0.5): an input x would not be
        modules = {weights_of.get(j) for j, p in pairs if p.requires_grad or np.size(p.raw) != 1}
        if len(modules) == 1 and None not in modules:
            weights_of[i] = member[i] = modules.pop()
            continue
        direct = [weights_of[j] for j in s.parents[i] if j in weights_of]
        if direct:
            member[i] = direct[0]
            anchors.append(i)
        elif _continues(s, member, i, pairs):
            member[i] = member[_grad_parents(pairs)[0]]
    return weights_of, member, anchors


def _grad_parents(pairs):
    return [j for j, p in pairs if p.requires_grad]


def _continues(s, member, i, pairs):
    """An activation right after a layer: see the module docstring."""
    grad = _grad_parents(pairs)
    if len(grad) != 1 or grad[0] not in member or s.nodes[grad[0]].op is None:
        return False
    j = grad[0]
    others_scalar = all(np.size(p.raw) == 1 for k, p in pairs if k != j)
    return (others_scalar and len(s.consumers[j]) == 1
            and np.shape(s.nodes[j].raw) == np.shape(s.nodes[i].raw))


def _loops(s, member, anchors, weights_of):
    """``[(module, seq numbers of the step anchors, end seq)]``, one per recurrence."""
    by_weight = {}
    for i in anchors:
        for j in dict.fromkeys(s.parents[i]):
            if j in weights_of:
                by_weight.setdefault(j, []).append(i)
    loops = []
    for steps in sorted((a for a in by_weight.values() if len(a) > 1), key=lambda a: a[0]):
        module = member[steps[0]]
        starts = [SEQUENCE_NUMBER(s.nodes[i]) for i in steps]
        end = starts[-1] + (starts[-1] - starts[-2])
        # a per-step bias (hg + b_hh) repeats the loop of its weight: keep the first only
        if not any(m == module and first <= starts[0] < stop for m, (first, *_), stop in loops):
            loops.append((module, starts, end))
    return loops


def _take_last_step(s, member, module, starts, end):
    """The nodes made in the last step (no next anchor bounds it) that depend on the module."""
    for i in range(len(s.nodes)):
        seq = SEQUENCE_NUMBER(s.nodes[i])
        if (starts[-1] < seq < end and i not in member
                and any(member.get(j) == module for j in s.parents[i])):
            member[i] = module


def _enclosed(s, member, module):
    """Nodes on paths between members of ``module`` that cross no other module's nodes."""
    seeds = [i for i, m in member.items() if m == module]

    def reach(links):
        seen, stack = set(seeds), list(seeds)
        while stack:
            for k in links[stack.pop()]:
                if k not in seen and member.get(k, module) == module:
                    seen.add(k)
                    stack.append(k)
        return seen

    return (reach(s.consumers) & reach(s.parents)) - set(seeds)


def _steps(s, member, weights_of, loops):
    """node index -> (module, loop number, step number from 1) for the members in a loop."""
    step_of = {}
    for i, module in member.items():
        if i in weights_of:
            continue
        seq = SEQUENCE_NUMBER(s.nodes[i])
        for k, (m, starts, end) in enumerate(loops):
            if m == module and starts[0] <= seq < end:
                step_of[i] = (module, k, bisect.bisect_right(starts, seq))
    # made before the loop (slices of the input projection, zero initial states): the step
    # that alone consumes them, consumers first
    for i in reversed(range(len(s.nodes))):
        if i in step_of or i in weights_of or not s.consumers[i]:
            continue
        steps = {step_of.get(c) for c in s.consumers[i]}
        if len(steps) == 1 and None not in steps and (i in member or s.nodes[i].op is None
                                                      and not s.nodes[i].requires_grad):
            step_of[i] = steps.pop()
            member[i] = step_of[i][0]
    return step_of


def _take_joins(s, member, step_of):
    """An op joining the outputs of several steps of one module (``stack``) joins it."""
    for i, node in enumerate(s.nodes):
        if i in member or node.op is None:
            continue
        inputs = [j for j in s.parents[i] if np.size(s.nodes[j].raw) != 1]
        modules = {member.get(j) for j in inputs}
        if len(modules) == 1 and None not in modules and len({step_of.get(j) for j in inputs}) > 1:
            member[i] = modules.pop()


# --- groups ---------------------------------------------------------------------------


def _groups(s, module_of, step_of, types):
    """(key -> Group, parents first; per node the keys of the groups holding it)."""
    groups, paths = {}, []
    for i in range(len(s.nodes)):
        module = module_of.get(i)
        path = _module_path(groups, module, types) if module is not None else []
        if i in step_of:
            path.append(_step_group(groups, step_of[i], types))
        for key in path:
            groups[key].nodes.append(i)
            groups[key].ops += s.nodes[i].op is not None
        paths.append(tuple(path))
    for group in groups.values():
        if group.kind == "module":
            group.steps = len({k for k in groups if k.startswith(f"s:{group.name}:")})
    return groups, paths


def _new_group(groups, key, kind, name, type_name, parent, level):
    if key not in groups:
        group = groups[key] = Group()
        group.key, group.kind, group.name, group.type_name = key, kind, name, type_name
        group.parent, group.level, group.loop, group.step, group.steps = parent, level, 0, None, 0
        group.nodes, group.ops = [], 0
    return key


def _module_path(groups, module, types):
    """Keys of the module groups from the outermost to ``module``'s own (created as needed)."""
    parts, path, parent = module.split("."), [], None
    for n in range(1, len(parts) + 1):
        name = ".".join(parts[:n])
        if name in types or n == len(parts):
            parent = _new_group(groups, f"m:{name}", "module", name, types.get(name, "?"),
                                parent, n)
            path.append(parent)
    return path


def _step_group(groups, step, types):
    module, loop, number = step
    parent = f"m:{module}"
    key = _new_group(groups, f"s:{module}:{loop}:{number}", "step", module, "step",
                     parent, groups[parent].level + 1)
    groups[key].loop, groups[key].step = loop, number
    return key


def _aggregate(s, group):
    """The group's combined gradient at its outputs and at its non-parameter inputs."""
    inside = set(group.nodes)
    last = len(s.nodes) - 1  # the root
    outputs = [s.stats[i] for i in group.nodes if not s.is_param(i)
               and (i == last or any(c not in inside for c in s.consumers[i]))]
    inputs = [stats for i in group.nodes if s.nodes[i].op is not None
              for j, stats in zip(s.parents[i], s.edge_stats(i))
              if j not in inside and not s.is_param(j)]
    group.grad_at_outputs = GradStats.combine(outputs)
    group.grad_at_inputs = GradStats.combine(inputs)
