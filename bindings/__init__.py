"""A small cffi binding of libxenlight (libxl), Xen 4.17 and later.

Public API::

    from bindings import Libxl, load, unavailable_reason
    xl = Libxl()                 # opens a libxl context (needs Xen + root)
    xl.list_domains()            # -> [libxl_dominfo JSON dicts]
    xl.close()

The extension ``bindings._libxl_cffi`` is compiled by an explicit build step
(``python -m bindings.build``) against the installed ``libxl.h``; importing
this package never loads it.  It is loaded on first use (``Libxl()`` or
:func:`load`), and when it is missing or ``libxenlight`` cannot be loaded
that raises ``xend.errors.NotSupported("libxl is not available: ...")``.
A context that cannot be opened (no Xen) raises ``HypervisorError`` with
the same prefix.  libxl's log goes to the ``logging`` logger "xend.libxl".
"""

from __future__ import annotations

from bindings._loader import load
from bindings.errors import LIBXL_ERRORS, check, error_for
from bindings.events import LibxlEvent
from bindings.libxl import Libxl
from xend.errors import XendError

__all__ = ["LIBXL_ERRORS", "Libxl", "LibxlEvent", "check", "error_for",
           "load", "unavailable_reason"]


def unavailable_reason(module_path: str | None = None) -> str | None:
    """None when the extension loads, else the one-line reason it does not.

    This loads the extension (once); it does not open a libxl context.
    """
    try:
        load(module_path)
    except XendError as exc:
        return str(exc)
    return None
