"""``python -m xm.manpages OUTDIR [DEFAULTS_FILE]``: write the man pages."""

from __future__ import annotations

import sys
from pathlib import Path

from xm.manpages import write_pages


def main(argv: list[str]) -> int:
    if len(argv) not in (1, 2):
        print("Usage: python -m xm.manpages OUTDIR [DEFAULTS_FILE]",
              file=sys.stderr)
        return 2
    defaults = Path(argv[1]) if len(argv) == 2 else None
    try:
        for path in write_pages(Path(argv[0]), defaults):
            print(path)
    except OSError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
