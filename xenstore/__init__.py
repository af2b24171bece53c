"""Xenstore access for xend: a small client interface and its implementations.

See :mod:`xenstore.store` for the interface xend programs against.

Layout (lowest layer first):

* :mod:`xenstore.wire` - bytes <-> messages (pure); :mod:`xenstore.perms`.
* :mod:`xenstore.tree` - nodes, generations, transactions (C daemon model).
* :mod:`xenstore.engine`, :mod:`xenstore.handlers`, :mod:`xenstore.domains`
  - the embedded xenstored's protocol logic, no I/O.
* :mod:`xenstore.server` - ``EmbeddedXenstored(socket_path)`` on a Unix
  socket; ``python -m xenstore.server --socket PATH``.
* :mod:`xenstore.base` - the Store API over any request channel;
  :mod:`xenstore.client` (``PyxsStore``, real sockets via pyxs, shim in
  :mod:`xenstore.pyxs_compat`), :mod:`xenstore.memory` (``MemoryStore``,
  in-process, for unit tests), :mod:`xenstore.local`.
* :mod:`xenstore.paths` - path builders; :mod:`xenstore.errors`.

Nothing here does work at import time; pyxs is imported on first use.
"""
