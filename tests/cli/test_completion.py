"""Issue 15, item 12: click's shell completion, as docs/cli.md tells users to set it up."""

import os
import shutil
import subprocess
import sys

import pytest

from .clirun import wasmmerge


@pytest.mark.parametrize("shell,marker", [("bash", "complete -o nosort -F _wasmmerge_completion wasmmerge"),
                                          ("zsh", "#compdef wasmmerge"),
                                          ("fish", "complete --no-files --command wasmmerge")])
def test_completion_script_is_produced(tmp_path, shell, marker):
    env = {**os.environ, "_WASMMERGE_COMPLETE": f"{shell}_source"}
    proc = wasmmerge(cwd=tmp_path, env=env)
    assert proc.returncode == 0, proc.stderr
    assert marker in proc.stdout and proc.stderr == ""


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_bash_completes_commands_and_options(tmp_path):
    """The generated script, sourced into bash, completes a command and an option."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    launcher = bin_dir / "wasmmerge"
    launcher.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m wasmmerge "$@"\n')
    launcher.chmod(0o755)
    script = ('eval "$(_WASMMERGE_COMPLETE=bash_source wasmmerge)"\n'
              'COMP_WORDS=(wasmmerge ins); COMP_CWORD=1; _wasmmerge_completion wasmmerge; echo "${COMPREPLY[@]}"\n'
              'COMPREPLY=(); COMP_WORDS=(wasmmerge merge --fatal); COMP_CWORD=2; _wasmmerge_completion wasmmerge; '
              'echo "${COMPREPLY[@]}"\n')
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
    proc = subprocess.run(["bash", "--norc", "--noprofile", "-c", script], capture_output=True, text=True,
                          env=env, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == ["inspect", "--fatal-warnings"]
