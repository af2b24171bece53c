"""The xend process: its configuration, logging, composition root and the
``xend`` command (start, stop, restart, status, reload, foreground)."""
