"""Decoding libxl_event JSON (as libxl_event_to_json prints it)."""

from __future__ import annotations

from bindings.events import LibxlEvent, decode_event


def test_shutdown_reason_is_an_integer_in_events() -> None:
    doc = {"domid": 5, "domuuid": "6a9c1f5e-4b7d-4c1a-9d2e-0123456789ab",
           "for_user": 7, "type.domain_shutdown": {"shutdown_reason": 1}}
    assert decode_event(doc) == LibxlEvent(
        "domain_shutdown", 5, "6a9c1f5e-4b7d-4c1a-9d2e-0123456789ab", 7,
        "reboot")


def test_defaults_are_omitted() -> None:
    # reason 0 (poweroff) and for_user 0 are left out by libxl
    ev = decode_event({"domid": 3, "type.domain_shutdown": {}})
    assert (ev.type, ev.shutdown_reason, ev.user) == \
        ("domain_shutdown", "poweroff", 0)


def test_all_reasons() -> None:
    names = [decode_event({"type.domain_shutdown": {"shutdown_reason": n}})
             .shutdown_reason for n in range(7)]
    assert names == ["poweroff", "reboot", "suspend", "crash", "watchdog",
                     "soft_reset", "unknown"]


def test_death_and_other_events() -> None:
    death = decode_event({"domid": 9, "domuuid": "u", "type.domain_death": {}})
    assert (death.type, death.domid, death.shutdown_reason) == \
        ("domain_death", 9, None)
    eject = decode_event({"domid": 9, "type.disk_eject": {"vdev": "hdc"}})
    assert eject.type == "disk_eject"
