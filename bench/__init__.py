"""kissgrad's benchmarks: ``python -m bench`` (or ``make bench``) runs them all.

Each workload lives in its own module (``mlp_epoch``, ``cnn_step``, ``small_ops``,
``scalar_mlp``, ``lstm_step``, ``rnn_charlm``, ``rnn_seq``, ``slice_seq``, ``cnn_large``, ``mlp_bn``,
``hvp``, ``mlp_sweep``) and offers one setup function per engine; ``bench.worker`` runs one
engine of one workload in its own process, and ``bench.__main__`` drives the workers.
"""
