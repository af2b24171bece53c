"""The simulator's core file: a small, honest ELF core of a domain.

A real ``xc_domain_dumpcore`` file is an ELF64 core whose ``.note.Xen``
section carries Xen's dump-core notes (``XEN_ELFNOTE_DUMPCORE_NONE``,
``..._HEADER`` with magic, vcpu count, page count and page size, and
``..._FORMAT_VERSION``), followed by the guest's registers, p2m table and
every memory page.  The simulator has no guest memory, so its file holds
the same notes with a page count of 0, plus one ``xend-sim`` note whose
JSON says what was dumped (name, domid, uuid, type, vcpus, memory) and that
no pages are included.  ``readelf -n`` shows them all.
"""

from __future__ import annotations

import json
import struct

EI_CLASS64, EI_DATA_LE, EV_CURRENT = 2, 1, 1
ET_CORE, EM_X86_64 = 4, 62
PT_NOTE = 4
SHT_NOTE, SHT_STRTAB = 7, 3
ELF_HEADER_SIZE, PHDR_SIZE, SHDR_SIZE = 64, 56, 64

XEN_ELFNOTE_DUMPCORE_NONE = 0x2000000
XEN_ELFNOTE_DUMPCORE_HEADER = 0x2000001
XEN_ELFNOTE_DUMPCORE_FORMAT_VERSION = 0x2000003
XC_CORE_MAGIC, XC_CORE_MAGIC_HVM = 0xF00FEBED, 0xF00FEBEE
DUMPCORE_FORMAT_VERSION = (0 << 32) | 1
SIM_NOTE_NAME, SIM_NOTE_TYPE = "xend-sim", 1
PAGE_SIZE = 4096


def _pad4(data: bytes) -> bytes:
    return data + b"\0" * (-len(data) % 4)


def _note(name: str, note_type: int, desc: bytes) -> bytes:
    raw = name.encode() + b"\0"
    return (struct.pack("<III", len(raw), len(desc), note_type)
            + _pad4(raw) + _pad4(desc))


def core_image(*, name: str, domid: int, uuid: str, domain_type: str,
               vcpus: int, memory_kb: int, dumped_at: float) -> bytes:
    """The bytes of the core file of one simulated domain."""
    magic = XC_CORE_MAGIC_HVM if domain_type == "hvm" else XC_CORE_MAGIC
    about = {"simulated": True, "name": name, "domid": domid, "uuid": uuid,
             "type": domain_type, "vcpus": vcpus, "memory_kb": memory_kb,
             "pages_included": 0, "dumped_at": dumped_at}
    notes = b"".join((
        _note("Xen", XEN_ELFNOTE_DUMPCORE_NONE, b""),
        _note("Xen", XEN_ELFNOTE_DUMPCORE_HEADER,
              struct.pack("<QQQQ", magic, vcpus, 0, PAGE_SIZE)),
        _note("Xen", XEN_ELFNOTE_DUMPCORE_FORMAT_VERSION,
              struct.pack("<Q", DUMPCORE_FORMAT_VERSION)),
        _note(SIM_NOTE_NAME, SIM_NOTE_TYPE,
              json.dumps(about, sort_keys=True).encode()),
    ))
    strtab = b"\0.note.Xen\0.shstrtab\0"
    notes_off = ELF_HEADER_SIZE + PHDR_SIZE
    strtab_off = notes_off + len(notes)
    shoff = strtab_off + len(strtab)
    shoff += -shoff % 8
    ident = b"\x7fELF" + bytes((EI_CLASS64, EI_DATA_LE, EV_CURRENT)) \
        + b"\0" * 9
    header = ident + struct.pack("<HHIQQQIHHHHHH", ET_CORE, EM_X86_64,
                                 EV_CURRENT, 0, ELF_HEADER_SIZE, shoff, 0,
                                 ELF_HEADER_SIZE, PHDR_SIZE, 1, SHDR_SIZE,
                                 3, 2)
    phdr = struct.pack("<IIQQQQQQ", PT_NOTE, 0, notes_off, 0, 0, len(notes),
                       0, 4)
    sections = (b"\0" * SHDR_SIZE
                + struct.pack("<IIQQQQIIQQ", 1, SHT_NOTE, 0, 0, notes_off,
                              len(notes), 0, 0, 4, 0)
                + struct.pack("<IIQQQQIIQQ", 11, SHT_STRTAB, 0, 0, strtab_off,
                              len(strtab), 0, 0, 1, 0))
    body = header + phdr + notes + strtab
    return body + b"\0" * (shoff - len(body)) + sections


def elf_notes(data: bytes) -> list[tuple[str, int, bytes]]:
    """(owner, type, desc) of every note in the PT_NOTE segments or, when
    there are none, the SHT_NOTE sections of an ELF64 little-endian file
    (a dump of either backend).  ValueError if it is not one."""
    if data[:4] != b"\x7fELF" or data[4] != EI_CLASS64 or \
            data[5] != EI_DATA_LE:
        raise ValueError("not an ELF64 little-endian file")
    (e_type, _, _, _, phoff, shoff, _, _, phentsize, phnum, shentsize,
     shnum, _) = struct.unpack_from("<HHIQQQIHHHHHH", data, 16)
    if e_type != ET_CORE:
        raise ValueError(f"not an ELF core (e_type {e_type})")
    areas = []
    for i in range(phnum):
        p_type, _, off, _, _, size = struct.unpack_from(
            "<IIQQQQ", data, phoff + i * phentsize)
        if p_type == PT_NOTE:
            areas.append((off, size))
    if not areas:
        for i in range(shnum):
            _, sh_type, _, _, off, size = struct.unpack_from(
                "<IIQQQQ", data, shoff + i * shentsize)
            if sh_type == SHT_NOTE:
                areas.append((off, size))
    notes = []
    for off, size in areas:
        end = off + size
        while off + 12 <= end:
            namesz, descsz, note_type = struct.unpack_from("<III", data, off)
            off += 12
            name = data[off:off + namesz].rstrip(b"\0").decode(
                "ascii", "replace")
            off += namesz + (-namesz % 4)
            notes.append((name, note_type, data[off:off + descsz]))
            off += descsz + (-descsz % 4)
    return notes
