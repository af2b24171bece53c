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
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

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
        # File mode matters too (overlay scripts must stay executable).
        h.update(oct(path.stat().st_mode & 0o777).encode() + b"\0")
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
        rc = subprocess.call([str(RECIPE_DIR / "build-image.sh"), str(target)],
                             stdout=log, stderr=subprocess.STDOUT)
    seconds = time.monotonic() - start
    if rc != 0:
        tail = log_path.read_text(errors="replace").splitlines()[-15:]
        raise RuntimeError(f"image build failed (rc={rc}) after {seconds:.0f}s; "
                           f"see {log_path}:\n" + "\n".join(tail))
    _prune_old_images(cache, keep=target)
    return Image(target, built_now=True, build_seconds=seconds)


def _prune_old_images(cache: Path, keep: Path) -> None:
    # Each image is ~1 GiB on disk; only the current recipe's is useful.
    for old in cache.glob("image-*"):
        if old != keep and old.is_dir():
            shutil.rmtree(old, ignore_errors=True)
