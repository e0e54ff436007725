"""kissgrad's command-line programs (``kissgrad train``, ``kissgrad graph``); the library is
the ``autograd``, ``nn`` and ``optim`` packages."""
