"""Cached dom0 image: recipe hash, lookup, (re)build via image/build-image.sh.

The image lives outside the checkout under $LAB_CACHE (default
/var/cache/xend-lab) in a directory named after a hash of the recipe
(everything under tests/lab/image/ plus the host CA certificates copied into
it), so editing the recipe rebuilds automatically and an unchanged recipe
reuses the image.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO

LAB_DIR = Path(__file__).resolve().parent.parent
RECIPE_DIR = LAB_DIR / "image"
HOST_CA_DIR = Path("/usr/local/share/ca-certificates")
BOOT_FILES = ("dom0.img", "xen.elf", "vmlinuz", "initrd.img")


def cache_dir() -> Path:
    return Path(os.environ.get("LAB_CACHE", "/var/cache/xend-lab"))


def _recipe_files() -> list[tuple[str, Path]]:
    files = [(str(p.relative_to(RECIPE_DIR)), p)
             for p in RECIPE_DIR.rglob("*") if p.is_file()]
    # The proxy CA is baked into the image, so a new CA means a new image.
    if HOST_CA_DIR.is_dir():
        files += [(f"host-ca/{p.name}", p) for p in HOST_CA_DIR.glob("*.crt")]
    return sorted(files)


def recipe_hash() -> str:
    h = hashlib.sha256()
    for rel, path in _recipe_files():
        h.update(rel.encode() + b"\0")
        # The executable bit matters too (overlay scripts must stay
        # executable); the rest of the mode depends on the umask of the clone.
        h.update(b"x\0" if path.stat().st_mode & 0o111 else b"-\0")
        h.update(path.read_bytes() + b"\0")
    return h.hexdigest()[:16]


@dataclass
class Image:
    directory: Path
    built_now: bool
    build_seconds: float | None

    def path(self, name: str) -> Path:
        return self.directory / name


def ensure_image(log_path: Path) -> Image:
    """Returns the cached image for the current recipe, building it if needed."""
    cache = cache_dir()
    cache.mkdir(parents=True, exist_ok=True)
    target = cache / f"image-{recipe_hash()}"
    if all((target / f).is_file() for f in BOOT_FILES):
        return Image(target, built_now=False, build_seconds=None)
    if target.exists():                      # incomplete leftover
        shutil.rmtree(target)
    print(f"lab: building dom0 image {target.name} (log: {log_path})", flush=True)
    start = time.monotonic()
    with open(log_path, "w") as log:
        rc = _run_build(target, log)
    seconds = time.monotonic() - start
    if rc != 0:
        tail = log_path.read_text(errors="replace").splitlines()[-15:]
        raise RuntimeError(f"image build failed (rc={rc}) after {seconds:.0f}s; "
                           f"see {log_path}:\n" + "\n".join(tail))
    _prune_old_images(cache, keep=target)
    return Image(target, built_now=True, build_seconds=seconds)


def _run_build(target: Path, log: IO[str]) -> int:
    """build-image.sh in its own process group, which is killed (and its
    work directory removed) if this process is interrupted (Ctrl-C or
    SIGTERM): nothing is left running behind the lab."""
    def interrupt(*_: object) -> None:
        raise KeyboardInterrupt
    old_term = signal.signal(signal.SIGTERM, interrupt)
    proc = subprocess.Popen([str(RECIPE_DIR / "build-image.sh"), str(target)],
                            stdout=log, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        return proc.wait()
    except BaseException:
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(proc.pid, sig)
                proc.wait(timeout=10)
                break
            except ProcessLookupError:
                break
            except subprocess.TimeoutExpired:
                continue
        for work in target.parent.glob(f"{target.name}.work.*"):
            subprocess.call(["sh", "-c", 'for m in $(grep -o " $1[^ ]*" /proc/mounts'
                             ' | sort -r); do umount -l "$m"; done', "sh", str(work)])
            shutil.rmtree(work, ignore_errors=True)
        raise
    finally:
        signal.signal(signal.SIGTERM, old_term)


def _prune_old_images(cache: Path, keep: Path) -> None:
    # Each image is ~1 GiB on disk; only the current recipe's is useful.
    for old in cache.glob("image-*"):
        if old != keep and old.is_dir():
            shutil.rmtree(old, ignore_errors=True)
