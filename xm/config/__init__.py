"""Reading xm domain configuration files into the domain model.

:mod:`.loader` finds the file and combines it with ``VAR=VALUE`` words;
:mod:`.evaluator` (with :mod:`.statements`, :mod:`.expressions`,
:mod:`.safe_builtins`) runs the Python-syntax file safely;
:mod:`.variables` is the table of every xm variable; :mod:`.build` turns
their values into a DomainConfig; :mod:`.unapplied` lists the variables Xen
4.17 cannot apply, which xm create reports instead of dropping silently.

Where we differ from xm 4.4 on purpose: configs are not executed as Python
unless asked (``allow_python``); ``True``/``False`` values are honoured
(xm silently ignored bools, e.g. ``acpi = False``); a bare ``raise
ValueError`` in an ``xm_vars`` check reports ``var - ValueError`` rather
than ``var - ``.  As in xm, a list variable given on the command line
replaces the file's list (its occurrences are collected, not appended to
the file's entries).
"""
