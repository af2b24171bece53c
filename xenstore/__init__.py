"""Xenstore access for xend: a small client interface and its implementations.

See :mod:`xenstore.store` for the interface xend programs against.
"""
