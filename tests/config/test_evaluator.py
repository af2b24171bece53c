"""The safe evaluator of Python-syntax xm configs."""

from __future__ import annotations

from pathlib import Path

import pytest

from xend.errors import ConfigError
from xm.config import evaluator
from xm.config.evaluator import evaluate

DATA = Path(__file__).parent / "data"


def run(source: str, variables: dict[str, str] | None = None,
        **kw: bool) -> dict[str, object]:
    return evaluate(source, "test.cfg", variables or {}, **kw)[0]


def test_xmexample1() -> None:
    ns = run((DATA / "xmexample1").read_text())
    assert ns == {"kernel": "/boot/vmlinuz-2.6.10-xenU", "memory": 64,
                  "name": "ExampleDomain", "vif": [""],
                  "disk": ["phy:hda1,hda1,w"], "root": "/dev/hda1 ro",
                  "extra": "4"}


def test_xmexample2_with_vmid() -> None:
    ns = run((DATA / "xmexample2").read_text(), {"vmid": "3"})
    assert ns["vmid"] == 3              # converted by the xm_vars check
    assert ns["name"] == "VM3"
    assert ns["disk"] == ["phy:sda10,sda1,w", "phy:sda6,sda6,r"]
    assert ns["extra"] == "4 VMID=3 usr=/dev/sda6"
    assert ns["vcpus"] == 4
    assert "vmid_check" not in ns       # functions are not variables


def test_xmexample2_without_vmid_fails_the_check() -> None:
    with pytest.raises(ConfigError) as info:
        run((DATA / "xmexample2").read_text())
    assert str(info.value).startswith("vmid - int() argument must be")


@pytest.mark.parametrize("vmid, message", [("0", "^vmid - ValueError$"),
                                           ("x", "vmid - invalid literal")])
def test_xmexample2_bad_vmid(vmid: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        run((DATA / "xmexample2").read_text(), {"vmid": vmid})


def test_xmexample_hvm() -> None:
    ns = run((DATA / "xmexample.hvm").read_text())
    assert ns["builder"] == "hvm" and ns["kernel"] == "hvmloader"
    assert ns["disk"] == ["file:/var/images/min-el3-i386.img,hda,w",
                          ",hdc:cdrom,r"]
    assert (ns["sdl"], ns["opengl"], ns["vnc"], ns["vncpasswd"]) == (
        0, 1, 1, "")


def test_help_mode_collects_xm_vars_help() -> None:
    _, lines = evaluate((DATA / "xmexample2").read_text(), "xmexample2", {},
                        help_mode=True)
    assert lines[0] == "Configuration variables for xmexample2:"
    assert lines[1].startswith("vmid ") and "Integer greater than 0" in \
        lines[1]


@pytest.mark.parametrize("source, expected", [
    ("a = 1 + 2 * 3", 7),
    ("a = 7 / 2", 3),                         # Python 2 integer division
    ("a = 7.0 / 2", 3.5),
    ("a = 2 ** 10 - 1 << 1", 2046),
    ("a = 'vm%02d' % 7", "vm07"),
    ("a = '%(x)s-%(y)d' % {'x': 'a', 'y': 2}", "a-2"),
    ("a = '{}:{}'.format('h', 5)", "h:5"),
    ("a = ','.join(['x', 'y']).upper()", "X,Y"),
    ("a = ' p q '.strip().split()", ["p", "q"]),
    ("a = 'abc'.replace('b', '-')[1:]", "-c"),
    ("a = 3 if 2 > 1 else 4", 3),
    ("a = 1 < 2 < 3 and 'yes' or 'no'", "yes"),
    ("a = not [] and None is None", True),
    ("a = [i * 2 for i in range(4) if i % 2]", [2, 6]),
    ("a = {k: v for k, v in [('x', 1)]}", {"x": 1}),
    ("a = len('abc') + int('4') + int(float('2.5'))", 9),
    ("a = str(5) + repr('q')", "5'q'"),
    ("a = sorted([3, 1, 2], reverse=True)", [3, 2, 1]),
    ("a = max(1, 5) + min([4, 2]) + abs(-1) + sum([1, 2])", 11),
    ("x, y = 1, 2\na = [x, y]", [1, 2]),
    ("a = [1]\na += [2]\na.append(3)\na.extend([4])", [1, 2, 3, 4]),
    ("d = {}\nd['k'] = 1\na = d.get('k', 0) + d.get('z', 5)", 6),
    ("a = 0\nfor i in range(5):\n    if i == 3:\n        break\n    a += i",
     3),
    ("a = 0\nwhile a < 10:\n    a += 3", 12),
    ("def f(x, y=2):\n    if x:\n        return x * y\n    return 0\n"
     "a = [f(3), f(0), f(1, y=5)]", [6, 0, 5]),
    ("def f(n):\n    return 1 if n <= 1 else n * f(n - 1)\na = f(5)", 120),
    ("n = 1\ndef f():\n    global n\n    n = 2\nf()\na = n", 2),
    ("try:\n    a = int('x')\nexcept ValueError:\n    a = -1", -1),
    ("a = f'{2 + 3}-{\"x\"!r}'", "5-'x'"),
    ("a = 'tablet' in ['mouse', 'tablet']", True),
    ("a = (1, 2)[1]", 2),
    ("a = ''.join(reversed('abc'))", "cba"),
    ("a = long('5') + xrange(3)[2]", 7),
    ("a = {'x': 1}.has_key('x')", True),
])
def test_expressions_and_statements(source: str, expected: object) -> None:
    assert run(source)["a"] == expected


def test_script_variables_are_strings_and_visible() -> None:
    ns = run("name = 'vm-' + vmid", {"vmid": "3"})
    assert ns == {"vmid": "3", "name": "vm-3"}


def test_xm_file_and_xm_help() -> None:
    ns = run("a = xm_file\nb = xm_help")
    assert ns["a"] == "test.cfg" and ns["b"] == 0


@pytest.mark.parametrize("source, message", [
    ("import os", "test.cfg:1: import is not allowed"),
    ("x = 1\nfrom os import path", "test.cfg:2: import is not allowed"),
    ("x = __import__('os')", "test.cfg:1: the name '__import__' is not "
                             "allowed"),
    ("f = open('/etc/passwd')", "test.cfg:1: NameError: name 'open' is not "
                                "defined"),
    ("x = open('/etc/passwd').read()", "attribute access"),
    ("x = ().__class__", "attribute access '\\(\\).__class__' is not "
                         "allowed"),
    ("os.system('id')", "attribute access 'os.system' is not allowed"),
    ("x = 'a'.__class__", "attribute access"),
    ("x = str.mro()", "attribute access 'str.mro' is not allowed"),
    ("x = [].append.__self__", "attribute access"),
    ("x = '{0.__class__}'.format(1)", "format field"),
    ("x = xm_vars.env", "attribute access 'xm_vars.env'"),
    ("x = _private", "the name '_private' is not allowed"),
    ("f = lambda: 1", "Lambda is not allowed"),
    ("class A:\n    pass", "ClassDef is not allowed"),
    ("with a:\n    pass", "With is not allowed"),
    ("x = 'a' * 10 ** 9", "too large"),
    ("x = ((10 ** 256) ** 256) ** 256", "too large"),
    ("x = ','.join(['a' * 10 ** 6] * 10 ** 6)", "too large"),
    ("x = [0] * 10 ** 5\nwhile True:\n    x.extend(x)", "too large"),
    ("x = sum([[1]] * 10, [])", "sum\\(\\) of non-numbers"),
    ("x = '%*d' % (10 ** 9, 1)", "format width too large"),
    ("x = '%.1000000000f' % 1.0", "format width too large"),
    ("x = '{:>1000000000}'.format(1)", "format width too large"),
    ("x = f'{1:>1000000000}'", "format width too large"),
    ("while True:\n    pass", "test.cfg:2: the config runs too long"),
    ("def f():\n    return f()\nx = f()", "recursion too deep"),
    ("l = []\nfor i in range(100000):\n    l.append('x' * 1000000)",
     "builds too much data"),
    ("y = undefined + 1", "test.cfg:1: NameError: name 'undefined' is not "
                          "defined"),
    ("x = 1\n\ny = 1 / 0", "test.cfg:3: ZeroDivisionError"),
    ("x = [1][5]", "test.cfg:1: IndexError"),
    ("x = 1\nbreak", "test.cfg:2: 'break' or 'continue' outside a loop"),
    ("def f():\n    continue\nfor i in [1]:\n    f()",
     "'break' or 'continue' outside a loop"),
    ("return 5", "'return' outside function"),
])
def test_refused_and_failing_configs(source: str, message: str,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(evaluator, "MAX_STEPS", 20_000)  # keep it quick
    with pytest.raises(ConfigError, match=message) as info:
        run(source)
    assert "\n" not in str(info.value)      # one line, for "Error: ..."


def test_syntax_error_message() -> None:
    with pytest.raises(ConfigError) as info:
        run("memory = 64\nname = = 'x'\n")
    assert str(info.value) == ("Errors were found at line 2 while processing"
                               " test.cfg: name = = 'x'")


def test_raise_in_config_gives_its_message() -> None:
    with pytest.raises(ConfigError) as info:
        run("if 1:\n    raise ValueError('need more memory')")
    assert str(info.value) == "need more memory"


def test_error_inside_function_names_its_line() -> None:
    with pytest.raises(ConfigError, match="test.cfg:2: NameError"):
        run("def f():\n    return missing\nx = f()")


def test_python_mode_runs_real_python() -> None:
    source = ("import os.path\n"
              "name = os.path.basename('/x/guest7')\n"
              "arch = 'lib64' if sys.maxsize > 2**32 else 'lib'\n"
              "xm_vars.var('n', check=lambda var, val: int(val) * 2)\n"
              "xm_vars.check()\n")
    ns = run(source, {"n": "4"}, allow_python=True)
    assert ns["name"] == "guest7" and ns["arch"] in ("lib", "lib64")
    assert ns["n"] == 8
    assert "os" not in ns and "sys" not in ns   # modules are not variables


def test_python_mode_errors() -> None:
    with pytest.raises(ConfigError, match="^boom$"):
        run("raise RuntimeError('boom')", allow_python=True)
    with pytest.raises(ConfigError, match="n - invalid literal"):
        run("xm_vars.var('n', check=lambda v, x: int(x))\nxm_vars.check()",
            {"n": "q"}, allow_python=True)
    with pytest.raises(ConfigError, match="Errors were found at line 1"):
        run("x = = 1", allow_python=True)
    with pytest.raises(ConfigError, match="^3$"):
        run("sys.exit(3)", allow_python=True)


def test_nul_bytes_are_an_error() -> None:
    with pytest.raises(ConfigError, match="test.cfg: .*null bytes"):
        evaluate(b"x = 1\0", "test.cfg", {})
