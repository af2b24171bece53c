"""info, dmesg, log, uptime, list -l."""

from tests.e2e.conftest import XendEnv, basic_config


def test_info(xend_env: XendEnv):
    out = xend_env.ok("info")
    rows = dict(line.split(" : ", 1) if " : " in line else (line, "")
                for line in out.splitlines())
    keys = [k.strip() for k in rows]
    assert keys[:4] == ["host", "release", "version", "machine"]
    values = {k.strip(): v for k, v in rows.items()}
    assert values["nr_cpus"] == "4"
    assert values["total_memory"] == "4096"
    assert values["xen_scheduler"] == "credit"
    assert values["xend_config_format"] == "4"
    assert out.splitlines()[0].startswith("host                   : ")


def test_dmesg_and_log(xend_env: XendEnv):
    assert "(XEN)" in xend_env.ok("dmesg")
    xend_env.ok("dmesg", "-c")
    assert "Xend Daemon started" in xend_env.ok("log")


def test_uptime_and_list_long(xend_env: XendEnv):
    xend_env.write_config("u1", basic_config("u1"))
    xend_env.ok("create", "u1")
    out = xend_env.ok("uptime")
    assert out.splitlines()[0].split() == ["Name", "ID", "Uptime"]
    assert any(line.startswith("u1 ") for line in out.splitlines())
    short = xend_env.ok("uptime", "-s")
    assert " up " in short and "u1" in short
    long = xend_env.ok("list", "-l", "u1")
    lines = [line.strip() for line in long.splitlines()]
    assert lines[0] == "(domain"
    assert any(line.startswith("(domid ") and line.endswith(")")
               for line in lines)
    assert "(name u1)" in lines
    assert "(state -b----)" in lines



def _values(out: str) -> dict[str, str]:
    return {k.strip(): v for k, v in
            (line.split(" : ", 1) for line in out.splitlines()
             if " : " in line)}


def test_info_numa(xend_env: XendEnv):
    """xm info -n on the simulator: 4.4's two extra values between
    free_cpus and xen_major; plain xm info has neither."""
    plain = xend_env.ok("info")
    out = xend_env.ok("info", "-n")
    assert "cpu_topology" not in plain and "numa_info" not in plain
    free = int(_values(plain)["free_memory"])
    lines = out.splitlines()
    start = lines.index("cpu_topology           : ")
    assert lines[start - 1].startswith("free_cpus              : ")
    assert lines[start:start + 9] == [
        "cpu_topology           : ",
        "cpu:    core    socket     node",
        "  0:       0        0        0",
        "  1:       1        0        0",
        "  2:       2        0        0",
        "  3:       3        0        0",
        "numa_info              : ",
        "node: TotalMemory FreeMemory dma32Memory NodeDist:   0 ",
        "   0:      4096MB %8dMB  %8dMB         :  10 " % (free,
                                                          min(free, 4096)),
    ]
    assert lines[start + 9].startswith("xen_major              : ")
    # The rest is plain xm info, byte for byte.
    assert "\n".join(lines[:start] + lines[start + 9:]) + "\n" == plain


def test_info_agrees_with_the_topology(xend_env: XendEnv):
    out = xend_env.ok("info", "--numa")
    values = _values(out)
    rows = [tuple(map(int, line.replace(":", " ").split()))
            for line in out.splitlines()
            if line[:3].strip().isdigit() and line[3:4] == ":"
            and "MB" not in line]
    assert len(rows) == int(values["nr_cpus"])
    assert len({node for _, _, _, node in rows}) == int(values["nr_nodes"])
    cores = {(socket, core) for _, core, socket, _ in rows}
    sockets = {socket for _, _, socket, _ in rows}
    assert len(cores) // len(sockets) == int(values["cores_per_socket"])
    assert len(rows) // len(cores) == int(values["threads_per_core"])
