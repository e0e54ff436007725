"""PyTorch programs written once, run with ``torch`` and with ``kissgrad`` (tests/test_ported_programs.py).

Each module's ``run(torch, nn, F, optim, data, ...)`` is plain PyTorch code that takes the
torch-like modules as parameters, so the same source runs on both libraries.
"""
