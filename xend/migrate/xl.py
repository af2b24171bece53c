"""Migration to and from hosts that run plain xl (xl's own protocol).

xl has no daemon: ``xl migrate`` runs a command (by default ``ssh HOST xl
migrate-receive``) and speaks to its stdin/stdout.  So here the two ends
are a pair of descriptors that xm hands to xend:

* receiving (``xm migrate-receive``, the command xl runs): xm passes its
  stdin and stdout; xend sends xl's banner, reads the xl header and the
  libxl image, restores the domain paused as ``<name>--incoming``, and
  then does xl's ready / cleared-to-unpause / report exchange.
* sending (``xm migrate --xl``): xm starts ``ssh HOST xl migrate-receive``
  and passes the pipes; xend reads the banner, writes the xl header with
  the domain's libxl JSON and the libxl image, and follows xl's exchange.

The arrival is journaled and recovered as for xend's own protocol
(:mod:`xend.migrate.receive`).  xl's exchange has one window the native
protocol closes: if the connection is lost after the sender let the
receiver go and before the receiver's report, neither side can know; the
copy here is then kept suspended, never run (xl calls this "failed
badly").
"""

from __future__ import annotations

import logging
import uuid as uuidlib
from typing import Any, BinaryIO

from xend.errors import ProtocolError, XendError
from xend.migrate import xlformat
from xend.migrate.receive import Receiver
from xend.migrate.send import AWAY
from xend.model.libxl_back import checked_config_from_libxl
from xend.model.libxl_json import to_libxl_json

log = logging.getLogger("xend.migrate")


def receive_from_xl(receiver: Receiver, rstream: BinaryIO,
                    wstream: BinaryIO, paused: bool) -> str:
    """Run xl's receiving side; returns the received domain's uuid."""
    _write(wstream, xlformat.RECEIVER_BANNER)
    header = xlformat.read_header(rstream)
    if header.stream_version != 2:
        raise ProtocolError("xl migration: the sender's libxl stream is "
                            "version 1 (legacy): not supported")
    cfg = checked_config_from_libxl(header.config)
    inc = receiver.admit(uuidlib.uuid4().hex, cfg, False, paused, None,
                         local_source=True)
    try:
        receiver.restore_paused(inc, rstream)
        _write(wstream, xlformat.RECEIVER_READY)
        xlformat.expect_message(rstream, xlformat.PERMISSION_TO_UNPAUSE)
        receiver.commit(inc)
    except BaseException as exc:
        receiver.abort(inc, exc)
        if inc.decided is not None and inc.domid is not None:
            # Past the go: tell xl to take its copy back, in its words.
            try:
                _write(wstream, xlformat.unpause_report(-3))
                _write(wstream, xlformat.PERMISSION_TO_UNPAUSE)
            except XendError:
                pass
        raise
    _write(wstream, xlformat.unpause_report(0))
    log.info("received domain %s (id %s) from xl", cfg.name, inc.domid)
    return str(cfg.uuid)


def send_to_xl(m: Any, ref: str | int, rstream: BinaryIO,
               wstream: BinaryIO, live: bool) -> None:
    """Run xl's sending side for domain ``ref``."""
    entry, domid = m.movable(ref)
    xlformat.expect_message(rstream, xlformat.RECEIVER_BANNER)
    config = to_libxl_json(entry.config, m.hv.host_info().nr_cpus)
    key = f"{entry.uuid}.migrate-out"
    record = {"op": "migrate-out", "uuid": entry.uuid, "name": entry.name,
              "domid": domid, "id": "", "to": {"xl": True},
              "stage": "sending"}
    m.mark_outgoing(entry.uuid, True)
    m.journal.begin(key, record)
    m.quiet.add(domid)
    renamed = False
    try:
        _write(wstream, xlformat.build_header(config))
        m.hv.save(domid, wstream, live=live)
        wstream.flush()
        xlformat.expect_message(rstream, xlformat.RECEIVER_READY)
        m.journal.begin(key, {**record, "stage": "go"})
        m.hv.rename(domid, entry.name + AWAY)
        renamed = True
        _write(wstream, xlformat.PERMISSION_TO_UNPAUSE)
    except BaseException:
        m.undo_outgoing(entry, domid, renamed)
        m.end_record(key)
        m.mark_outgoing(entry.uuid, False)
        raise
    try:
        rc = xlformat.read_unpause_report(rstream)
    except XendError as exc:
        m.end_record(key)
        m.mark_outgoing(entry.uuid, False)
        raise XendError(
            f"xl migration failed badly: no report from the receiver "
            f"({exc}); the copy here is kept suspended as "
            f"{entry.name}{AWAY}: check the destination, then destroy "
            "or resume it") from None
    if rc != 0:
        try:
            xlformat.expect_message(rstream, xlformat.PERMISSION_TO_UNPAUSE)
        except XendError:
            pass
        m.undo_outgoing(entry, domid, renamed)
        m.end_record(key)
        m.mark_outgoing(entry.uuid, False)
        raise XendError(f"the receiver could not start the domain "
                        f"(libxl error {rc}); it runs here again")
    m.finish_outgoing(entry, domid, False)
    m.end_record(key)
    m.mark_outgoing(entry.uuid, False)
    log.info("migrated domain %s to an xl host", entry.name)


def _write(stream: BinaryIO, data: bytes) -> None:
    try:
        stream.write(data)
        stream.flush()
    except OSError as exc:
        raise ProtocolError(f"xl migration: the peer went away "
                            f"({exc.strerror or exc})") from None
