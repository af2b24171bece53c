"""xend's log set-up: a fatal signal's stacks land in the log file."""

from __future__ import annotations

import faulthandler
import logging
import subprocess
import sys
import textwrap
from pathlib import Path


def test_segfault_leaves_thread_stacks_in_the_log(tmp_path: Path) -> None:
    # In a child: the crash must not take the test run with it.
    log = tmp_path / "xend.log"
    script = textwrap.dedent(f"""
        import ctypes, logging, threading
        from xend.daemon.logs import setup_logging
        setup_logging({str(log)!r}, "INFO")
        logging.getLogger("xend").info("before the crash")
        def crash_in_libxl():
            ctypes.string_at(0)
        t = threading.Thread(target=crash_in_libxl, name="libxl-events")
        t.start(); t.join()
    """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode != 0
    text = log.read_text()
    assert "before the crash" in text
    assert "Fatal Python error: Segmentation fault" in text
    assert "crash_in_libxl" in text


def test_setup_logging_enables_faulthandler(tmp_path: Path) -> None:
    from xend.daemon.logs import setup_logging
    was = faulthandler.is_enabled()
    try:
        setup_logging(str(tmp_path / "a.log"))
        assert faulthandler.is_enabled()
        setup_logging(str(tmp_path / "b.log"))      # reload: a new file
        assert faulthandler.is_enabled()
    finally:
        root = logging.getLogger()
        for handler in list(root.handlers):
            root.removeHandler(handler)
            handler.close()
        if was:
            faulthandler.enable(file=sys.__stderr__, all_threads=True)
        else:
            faulthandler.disable()
