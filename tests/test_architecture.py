"""The layout keeps its promises: no import cycle anywhere, and each layer imports only the ones
below it (the contracts in pyproject.toml's [tool.importlinter]; `.venv/bin/lint-imports` checks
the same from the command line and names the imports that break a contract)."""
from __future__ import annotations

from pathlib import Path

from importlinter.cli import lint_imports

ROOT = Path(__file__).resolve().parents[1]


def test_no_import_cycles_and_every_layer_imports_only_those_below_it(monkeypatch):
    monkeypatch.chdir(ROOT)
    assert lint_imports(config_filename=str(ROOT / "pyproject.toml"), no_cache=True, no_logo=True) == 0
