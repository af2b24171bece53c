"""Virtual device names to device numbers, as libxl computes them.

libxl turns a disk's ``vdev`` ("xvda", "hdc", "sdb1", "d3p2" or a plain
number) into the Xenstore device id following docs/misc/vbd-interface.txt:

* ``xvd<disk><part>``: major 202, ``(202 << 8) | (disk << 4) | part`` for the
  first 16 disks and 16 partitions, the extended form
  ``(1 << 28) | (disk << 8) | part`` above that;
* ``hd<disk><part>``: IDE majors 3, 22, 33, 34, 56, 57, 88, 89, 90, 91, two
  disks per major with 64 minors each (disks a..t);
* ``sd<disk><part>``: major 8, 16 minors per disk (first 16 disks);
* ``d<disk>p<part>``: the xvd numbering written with decimal numbers.

Disk letters count like spreadsheet columns: a=0 .. z=25, aa=26, ...
"""

from __future__ import annotations

import re

from xend.errors import InvalidArgument

_IDE_MAJORS = (3, 22, 33, 34, 56, 57, 88, 89, 90, 91)
_NAMED = re.compile(r"^(xvd|hd|sd)([a-z]+)(\d*)$")
_NUMERIC = re.compile(r"^d(\d+)(?:p(\d+))?$")
# vbd-interface.txt: the extended xvd scheme has 2^20 disks, 256 partitions.
_EXT_DISKS = 1 << 20


def _letters_to_index(letters: str) -> int:
    index = 0
    for ch in letters:
        index = index * 26 + (ord(ch) - ord("a") + 1)
    return index - 1


def _xvd(disk: int, part: int) -> int:
    if disk < 16 and part < 16:
        return (202 << 8) | (disk << 4) | part
    if disk >= _EXT_DISKS or part > 255:
        raise ValueError
    return (1 << 28) | (disk << 8) | part


def vdev_to_devid(vdev: object) -> int:
    """The device number libxl uses for ``vdev``; InvalidArgument if bad."""
    if not isinstance(vdev, str) or not vdev:
        raise InvalidArgument("disk vdev must be a non-empty string")
    # cdrom suffixes (":cdrom") never reach JSON, but a stray one is an error.
    try:
        if vdev.isdigit():
            number = int(vdev)
            if number <= 0 or number >= 1 << 30:
                raise ValueError
            return number
        match = _NUMERIC.match(vdev)
        if match:
            return _xvd(int(match.group(1)), int(match.group(2) or 0))
        match = _NAMED.match(vdev)
        if not match:
            raise ValueError
        prefix, letters, part_s = match.groups()
        disk = _letters_to_index(letters)
        part = int(part_s) if part_s else 0
        if prefix == "xvd":
            return _xvd(disk, part)
        if prefix == "hd":
            if disk >= 2 * len(_IDE_MAJORS) or part > 63:
                raise ValueError
            return (_IDE_MAJORS[disk // 2] << 8) | ((disk % 2) * 64 + part)
        if disk >= 16 or part > 15:
            raise ValueError
        return (8 << 8) | (disk * 16 + part)
    except ValueError:
        raise InvalidArgument(f"Invalid virtual disk identifier {vdev}") \
            from None
