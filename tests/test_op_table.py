"""The op table drives the gradient checks: every case of every ``tests/op_cases_*.py``.

Each module keeps a ``CASES`` list of ``op_cases.Case``. For each (case, shape):
float64 ``gradcheck``, ``gradgradcheck`` when ``twice`` (plus a check that the op
search run after a mismatch blames none of these correct ops), and, when every input
is 0-d and the op has a scalar forward, ``Value`` against ``Tensor``.

Conventions for case modules: inputs are float64 leaves drawn uniformly from
``case.domain`` with a generator seeded by the test id; ``case.extra(rng, shapes)``
returns a tuple of non-differentiable arguments passed to ``fn`` after the tensors;
the tag ``"no_value"`` opts a 0-d case out of the Value comparison.
"""
import importlib
import math
import pathlib
import sys
import zlib

import numpy as np
import pytest

import autograd
from autograd import Tensor, Value, gradcheck, gradgradcheck
from autograd.engine import topological_order
from autograd.gradcheck import first_wrong_op

for _package in ("nn", "nn.functional", "optim"):  # importing them registers their ops
    try:
        importlib.import_module(_package)
    except ImportError:
        pass

TESTS = pathlib.Path(__file__).parent
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))


def _collect_cases():
    cases = []
    for path in sorted(TESTS.glob("op_cases_*.py")):
        cases.extend(importlib.import_module(path.stem).CASES)
    return cases


CASES = _collect_cases()
VARIANTS = [(case, shape) for case in CASES for shape in case.shapes]
IDS = [case.id_for(shape) for case, shape in VARIANTS]
TWICE = [(case, shape) for case, shape in VARIANTS if case.twice]
TWICE_IDS = [case.id_for(shape) for case, shape in TWICE]


def input_shapes(shape):
    """The per-input shapes of a variant: ``(2, 3)`` is one input, ``((2, 3), (3,))`` two."""
    return tuple(shape) if shape and isinstance(shape[0], tuple) else (shape,)


def make_inputs(case, shape):
    """Float64 leaves that require grad, plus the case's extra arguments, seeded by the id."""
    rng = np.random.default_rng(zlib.crc32(case.id_for(shape).encode()))
    shapes = input_shapes(shape)
    low, high = case.domain
    tensors = [Tensor(rng.uniform(low, high, size=s), requires_grad=True) for s in shapes]
    extra = tuple(case.extra(rng, shapes)) if case.extra is not None else ()
    return tuple(tensors) + extra


def test_cases_were_collected():
    assert any(case.op == "add" for case in CASES)
    assert len(VARIANTS) > 100


def test_every_op_has_a_case():
    covered = {case.op for case in CASES}
    missing = sorted(set(autograd.OPS) - covered)
    assert not missing, f"ops without a gradient-check case in tests/op_cases_*.py: {missing}"


def test_every_case_names_a_registered_op():
    unknown = sorted({case.op for case in CASES} - set(autograd.OPS))
    assert not unknown, f"cases name ops that autograd.OPS does not have: {unknown}"


@pytest.mark.parametrize("case, shape", VARIANTS, ids=IDS)
def test_case_records_its_op(case, shape):
    out = case.fn(*make_inputs(case, shape))
    outputs = list(out) if isinstance(out, (tuple, list)) else [out]
    recorded = {node.op.name for node in topological_order(outputs) if node.op is not None}
    assert case.op in recorded, f"{case.id_for(shape)} records only {sorted(recorded)}"


@pytest.mark.parametrize("case, shape", VARIANTS, ids=IDS)
def test_gradcheck(case, shape):
    assert gradcheck(case.fn, make_inputs(case, shape), atol=case.atol, rtol=case.rtol)


@pytest.mark.parametrize("case, shape", TWICE, ids=TWICE_IDS)
def test_gradgradcheck(case, shape):
    assert gradgradcheck(case.fn, make_inputs(case, shape), atol=case.atol, rtol=case.rtol)


SCALAR = [(case, shape) for case, shape in VARIANTS
          if all(s == () for s in input_shapes(shape)) and case.extra is None
          and "no_value" not in case.tags and autograd.OPS[case.op].scalar is not None]


def test_scalar_cases_exist():
    assert len(SCALAR) >= 20


@pytest.mark.parametrize("case, shape", SCALAR, ids=[c.id_for(s) for c, s in SCALAR])
def test_value_matches_tensor(case, shape):
    tensors = make_inputs(case, shape)
    values = [Value(float(t.data)) for t in tensors]
    out_t, out_v = case.fn(*tensors), case.fn(*values)
    assert isinstance(out_v, Value) and type(out_v.data) is float
    assert math.isclose(out_v.data, float(out_t.data), rel_tol=1e-12, abs_tol=1e-14)
    out_t.backward()
    out_v.backward()
    for t, v in zip(tensors, values):
        assert type(v.grad) is float
        assert math.isclose(v.grad, float(t.grad.data), rel_tol=1e-12, abs_tol=1e-14)


@pytest.mark.parametrize("case, shape", TWICE, ids=TWICE_IDS)
def test_op_localisation_blames_no_correct_op(case, shape):
    # the search gradcheck runs after a mismatch must run on every op and accuse none
    found = first_wrong_op(case.fn, make_inputs(case, shape), atol=case.atol, rtol=case.rtol,
                           second_order=True)
    assert found.startswith("Every op's own backward agrees"), found
