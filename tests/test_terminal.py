"""The terminal is safe (issue 15, item 7): a problem file's text cannot drive the user's
terminal, and a reader that goes away ends a command quietly, with exit code 141."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from optiree.cli import EXIT_PIPE_CLOSED, main
from optiree.words import for_terminal, money, price, tonnes
from tests.samples import stockpile, two_country

TITLE_AND_CLEAR = "\x1b]0;pwned\x07\x1b[2J"
"""An OSC sequence that retitles the terminal (ESC ] ... BEL), then CSI 2J, which clears it."""
RED = "U\x1b[31mSD"
"""A currency that would turn the rest of the screen red."""
C1_CSI = "\x9b2J"
"""The same clear with the one-character C1 CSI (U+009B)."""
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
"""Any control character but newline and tab."""


def _file(tmp_path: Path, document: dict[str, Any], name: str = "problem.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    return path


def _hostile(document: dict[str, Any]) -> dict[str, Any]:
    """``document`` with control sequences in its name, currency, description and a
    material's name."""
    document |= {"name": TITLE_AND_CLEAR, "currency": RED, "description": C1_CSI}
    document["materials"][0]["name"] = f"bell\x07{C1_CSI}"
    return document


def test_for_terminal_escapes_control_characters_and_keeps_the_rest() -> None:
    assert for_terminal(TITLE_AND_CLEAR) == r"\x1b]0;pwned\x07\x1b[2J"
    assert for_terminal(f"a\rb\x7f{C1_CSI}\x00") == r"a\x0db\x7f\x9b2J\x00"
    assert for_terminal("Dy 2026\tok\nnext: Ñd, 稀土") == "Dy 2026\tok\nnext: Ñd, 稀土"


@pytest.mark.parametrize(
    "command",
    [["validate"], ["solve"], ["frontier", "--points", "3"], ["solve", "--scenario", "nope"]],
)
def test_the_problem_text_is_printed_escaped(
    tmp_path: Path, capfd: pytest.CaptureFixture[str], command: list[str]
) -> None:
    path = _file(tmp_path, _hostile(two_country()))
    main([command[0], str(path), *command[1:]])
    out, err = capfd.readouterr()
    assert not CONTROL.search(out + err), repr(out + err)
    # Readable: the escaped name is there, or the currency (a frontier names no problem).
    assert r"\x1b]0;pwned\x07\x1b[2J" in out + err or r"U\x1b[31mSD" in out, out + err


# The figures of the report draw the name: matplotlib warns that ESC has no glyph (see
# test_files_keep_the_text_as_written for that warning, escaped, in a process of its own).
@pytest.mark.filterwarnings("ignore:Glyph:UserWarning")
def test_sweep_and_report_print_the_name_escaped(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    path = _file(tmp_path, _hostile(stockpile()))
    assert main(["sweep", str(path), "--serial"]) == 0
    assert main(["report", str(path), "--out", str(tmp_path / "report.html")]) == 0
    out, err = capfd.readouterr()
    assert not CONTROL.search(out + err), repr(out + err)
    assert out.count(r"\x1b]0;pwned\x07\x1b[2J") == 2


def test_ids_quoted_in_errors_are_escaped(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """Ids are ASCII once valid, but an invalid one is quoted in the error: a key as the
    path of the field, a value in the message."""
    document = two_country()
    document["sources"][0]["id"] = "china\x1b[2J"
    document["sources"][1]["country"] = "AU\x07"
    document["demand"] = {f"Dy{C1_CSI}": 50}
    document["security"]["max_country_share"] = {"\x1b]0;x\x07": 0.6}
    assert main(["validate", str(_file(tmp_path, document))]) == 2
    out, err = capfd.readouterr()
    assert not CONTROL.search(out + err), repr(out + err)
    assert r"demand.Dy\x9b2J" in err
    assert r"security.max_country_share.\x1b]0;x\x07" in err


def test_a_mistyped_argument_is_quoted_escaped(capfd: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["validate", "problem.yaml", "\x1b[2J"])
    err = capfd.readouterr().err
    assert not CONTROL.search(err), repr(err)
    assert r"unrecognized arguments: \x1b[2J" in err


def test_files_keep_the_text_as_written(tmp_path: Path) -> None:
    """Only the terminal sees escapes: summary.json holds the name and currency as given.
    (In a process of its own: matplotlib warns that the title's ESC has no glyph, and the
    warning, printed on stderr, is escaped too.)"""
    path = _file(tmp_path, _hostile(two_country()))
    out = tmp_path / "results"
    done = _run(["solve", str(path), "--out", str(out)], capture_output=True)
    assert done.returncode == 0, done.stderr
    text = done.stdout.decode() + done.stderr.decode()
    assert not CONTROL.search(text), text
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert (summary["problem"], summary["currency"]) == (TITLE_AND_CLEAR, RED)


def _run(command: list[str], **options: Any) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "optiree", *command], check=False, timeout=120, **options
    )


COMMANDS = {
    "validate": ["validate", "{two}"],
    "solve": ["solve", "{two}"],
    "frontier": ["frontier", "{two}", "--points", "3"],
    "sweep": ["sweep", "{stock}", "--serial"],
    "report": ["report", "{two}", "--out", "{tmp}/report.html"],
    "help": ["solve", "--help"],
}
"""Every command that prints, with the arguments to run it on the samples."""


@pytest.mark.parametrize(
    ("unbuffered", "names"),
    [("", list(COMMANDS)), ("1", ["solve", "help"])],
    ids=["buffered", "unbuffered"],
)
def test_a_reader_gone_ends_the_command_quietly_with_141(
    tmp_path: Path, unbuffered: str, names: list[str]
) -> None:
    """The reader closes its end before a command prints a word (``| head -0``), so its
    writes fail as after ``head`` has read its lines: no traceback, exit 141, whether Python
    buffers stdout (a pipe's default) or not (``PYTHONUNBUFFERED``). The commands run side by
    side, to take seconds."""
    files = {
        "two": _file(tmp_path, two_country()),
        "stock": _file(tmp_path, stockpile(), "stockpile.yaml"),
        "tmp": tmp_path,
    }
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    env["PYTHONUNBUFFERED"] = unbuffered
    processes = {}
    for name in names:
        argv = [part.format(**files) for part in COMMANDS[name]]
        processes[name] = process = subprocess.Popen(
            [sys.executable, "-m", "optiree", *argv],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
        )
        assert process.stdout is not None
        process.stdout.close()
    ended = {name: process.communicate(timeout=120) for name, process in processes.items()}
    assert {name: err for name, (_, err) in ended.items()} == dict.fromkeys(names, b"")
    codes = {name: process.returncode for name, process in processes.items()}
    assert codes == dict.fromkeys(names, EXIT_PIPE_CLOSED)


WRITERS = {
    "solve": (["solve", "{two}", "--out", "{tmp}/plan"], ["plan/summary.json", "plan/supply.csv"]),
    "workbook": (["solve", "{two}", "--out", "{tmp}/plan.xlsx"], ["plan.xlsx"]),
    "frontier": (
        ["frontier", "{two}", "--points", "3", "--out", "{tmp}/f.csv", "--plot", "{tmp}/f.png"],
        ["f.csv", "f.png"],
    ),
    "sweep": (["sweep", "{stock}", "--serial", "--out", "{tmp}/sweep.csv"], ["sweep.csv"]),
    "report": (["report", "{two}", "--out", "{tmp}/report.html"], ["report.html"]),
}
"""Every command that writes files, with the files it writes."""


@pytest.mark.parametrize("name", list(WRITERS))
def test_a_reader_gone_loses_no_file(tmp_path: Path, name: str) -> None:
    """``optiree solve FILE --out DIR | head`` still writes DIR: each command writes its files
    before it says a word, so a reader gone before the first line (exit 141) loses none."""
    files = {
        "two": _file(tmp_path, two_country()),
        "stock": _file(tmp_path, stockpile(), "stockpile.yaml"),
        "tmp": tmp_path,
    }
    argv, written = WRITERS[name]
    process = subprocess.Popen(
        [sys.executable, "-m", "optiree", *(part.format(**files) for part in argv)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None
    process.stdout.close()
    _, err = process.communicate(timeout=120)
    assert (process.returncode, err) == (EXIT_PIPE_CLOSED, b"")
    assert [f for f in written if not (tmp_path / f).is_file()] == []


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (money(-2.3e-13), "0"),  # an EVPI a warm re-solve leaves 2e-13 below zero
        (money(-0.4), "0"),
        (money(-0.6), "-1"),
        (price(-0.004), "0.00"),
        (tonnes(-0.04), "0.0"),
        (tonnes(-0.06), "-0.1"),
        (money(1_345_119_636.99), "1,345,119,637"),
    ],
)
def test_an_amount_that_rounds_to_zero_is_never_minus_zero(value: str, shown: str) -> None:
    assert value == shown
