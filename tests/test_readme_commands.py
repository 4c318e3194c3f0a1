"""Every ``isolde run`` command in the README (shell blocks and inline) passes the checks made
before a run (options, names, what applies to which store and workload): the README stays true as
the checks grow. Commands shown to be refused carry an ``# isolde: error`` comment or are
followed by "is refused"."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from isolde import cli

from .conftest import ROOT


def _readme_run_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```sh\n(.*?)```", text, re.S)
    lines = [line.strip() for block in blocks for line in block.splitlines()]
    # The fault tables' "try it" column; not an example of a refusal ("... is refused").
    inline = re.findall(r"`(isolde run[^`]*)`(?![^.]{0,40}\bis refused)", text)
    return [line for line in lines + inline
            if line.startswith("isolde run") and "# isolde: error" not in line
            and "--help" not in line]


COMMANDS = _readme_run_commands()


def test_the_readme_has_run_commands() -> None:
    assert len(COMMANDS) > 30


@pytest.mark.parametrize("command", COMMANDS)
def test_readme_run_command_passes_the_checks(command: str, tmp_path: Path) -> None:
    words = shlex.split(re.sub(r"\[[^]]*\]", "", command), comments=True)[1:]
    _parser, a = cli.parse_args([*words, "--store-dir", str(tmp_path / "store")])
    cli._preflight(a, cli.run_scenario_from_args(a))
