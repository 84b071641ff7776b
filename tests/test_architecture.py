"""The layout keeps its promises: no import cycle anywhere, and each layer imports only the ones
below it: the contracts in pyproject.toml's [tool.importlinter], checked by `.venv/bin/lint-imports`
(run here in a process of its own: it reconfigures logging), which names any import that breaks one."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_no_import_cycles_and_every_layer_imports_only_those_below_it():
    run = subprocess.run([str(Path(sys.executable).parent / "lint-imports"), "--no-cache", "--no-logo"],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "3 kept, 0 broken" in run.stdout
