"""Where code runs: each module of the application imports under the interpreter that runs it, and
no side imports the other's code.

- `assistant/rasa/`: loaded by the Rasa server (Python 3.10, `.venv-rasa`): may import Rasa, Sanic
  and `assistant.common`, never the launcher, the actions or the engine (`gradrec_core`, torch,
  FAISS are not in Rasa's environment).
- `assistant/*.py` and `actions/`: the launcher and the action server (the engine's Python,
  `sys.executable` here): may import the engine and `assistant.common`, never `assistant.rasa` or
  Rasa itself.
- `assistant/common/` (and the `assistant` package itself): imported by both: the standard
  library, other `assistant.common` modules and third-party packages both environments have.

Two checks per side: every import statement in the source (lazy ones inside functions too, which
only fail when their code path runs) is allowed by the rules above and names a package the side's
interpreter can find; and each module really imports under that interpreter, in a subprocess,
without loading a module of another side."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.settings import ROOT, Settings

RASA, COMMON, LAUNCHER, ENGINE = "rasa", "common", "launcher", "engine"
ALLOWED = {RASA: {RASA, COMMON}, COMMON: {COMMON}, LAUNCHER: {LAUNCHER, COMMON, ENGINE}}
PROJECT = ("assistant", "actions", "gradrec_core")


def _name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _side(module: str) -> str | None:
    """The side a project module belongs to (None: not a project module)."""
    top = module.split(".")[0]
    if top == "gradrec_core":
        return ENGINE
    if top == "actions":
        return LAUNCHER
    if top != "assistant":
        return None
    if module == "assistant" or module.startswith("assistant.common"):
        return COMMON  # the package's __init__ runs under both interpreters
    return RASA if module.startswith("assistant.rasa") else LAUNCHER


MODULES = sorted({_name(p) for folder in ("assistant", "actions") for p in (ROOT / folder).rglob("*.py")})
BY_SIDE = {side: [m for m in MODULES if _side(m) == side] for side in (RASA, COMMON, LAUNCHER)}


def _file(module: str) -> Path:
    base = ROOT.joinpath(*module.split("."))
    return base / "__init__.py" if base.is_dir() else base.with_suffix(".py")


def _is_module(module: str) -> bool:
    return _file(module).exists()


def imports(module: str) -> set[str]:
    """Every module the source imports, at the top or inside a function, relative ones resolved;
    `from package import name` counts package.name when that is a module."""
    path = _file(module)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found.add(target)
            found.update(f"{target}.{a.name}" for a in node.names if _is_module(f"{target}.{a.name}"))
    return found - {"__future__"}


def third_party(modules: list[str]) -> set[str]:
    return {name.split(".")[0] for m in modules for name in imports(m)
            if name.split(".")[0] not in PROJECT and name.split(".")[0] not in sys.stdlib_module_names}


def rasa_python() -> Path:
    python = Settings.from_env().rasa_venv / "bin" / "python"
    if not python.exists():
        pytest.fail("the Rasa environment is missing: run `make setup` (make test does)")
    return python


# Run by each interpreter: import each module (argv[2:]) in turn and note what each one loaded
# that was not loaded before; find each third-party name given after '--'.
_PROBE = """
import importlib, importlib.util, json, sys, traceback
out, args = sys.argv[1], sys.argv[2:]
mods, names = (args[:args.index('--')], args[args.index('--') + 1:]) if '--' in args else (args, [])
loaded, errors = {}, {}
for m in mods:
    before = set(sys.modules)
    try:
        importlib.import_module(m)
    except BaseException:
        errors[m] = traceback.format_exc(limit=3)
    loaded[m] = sorted(set(sys.modules) - before)
found = {n: importlib.util.find_spec(n) is not None for n in names}
json.dump({"loaded": loaded, "errors": errors, "found": found, "version": list(sys.version_info[:2])}, open(out, "w"))
"""


def probe(python: Path | str, modules: list[str], names: set[str], tmp_path: Path) -> dict:
    out = tmp_path / f"probe-{len(list(tmp_path.iterdir()))}.json"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONWARNINGS": "ignore", "RASA_TELEMETRY_ENABLED": "false"}
    r = subprocess.run([str(python), "-c", _PROBE, str(out), *modules, "--", *sorted(names)], cwd=ROOT, env=env,
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0 and out.exists(), r.stdout[-2000:] + r.stderr[-2000:]
    return json.loads(out.read_text())


def test_every_module_has_a_side() -> None:
    assert BY_SIDE[RASA] and BY_SIDE[COMMON] and BY_SIDE[LAUNCHER]
    assert "assistant.rasa.main" in BY_SIDE[RASA] and "assistant.rasa.web_channel" in BY_SIDE[RASA]
    assert "assistant.servers" in BY_SIDE[LAUNCHER] and "actions.actions" in BY_SIDE[LAUNCHER]
    assert "assistant.common.gate" in BY_SIDE[COMMON]
    assert sum(map(len, BY_SIDE.values())) == len(MODULES)


def test_import_reader_sees_lazy_and_relative_imports() -> None:
    assert "assistant.rasa.tracker_store" in imports("assistant.rasa.main")  # inside main()
    assert "rasa.__main__" in imports("assistant.rasa.main")  # `from rasa.__main__ import ...` inside main()
    assert "rasa" in third_party(["assistant.rasa.main"])
    assert "assistant.common.gate" in imports("assistant.cli")  # `from .common.gate import Gate`
    assert "jwt" in imports("assistant.common.gate")  # inside a method


@pytest.mark.parametrize("side", [RASA, COMMON, LAUNCHER])
def test_sources_import_only_their_side(side: str) -> None:
    wrong = [f"{m} imports {name} ({_side(name)})" for m in BY_SIDE[side] for name in sorted(imports(m))
             if _side(name) is not None and _side(name) not in ALLOWED[side]]
    if side == LAUNCHER:  # Rasa runs in its own process; the launcher and actions talk to it over HTTP
        wrong += [f"{m} imports {name}" for m in BY_SIDE[side] for name in sorted(imports(m))
                  if name.split(".")[0] == "rasa"]
    assert not wrong, "; ".join(wrong)


def _check_imports(report: dict, side: str) -> list[str]:
    problems = [f"{m} does not import under Python {report['version']}: {e}" for m, e in report["errors"].items()]
    for m, loaded in report["loaded"].items():
        problems += [f"importing {m} loads {x} ({_side(x)})" for x in loaded
                     if _side(x) is not None and _side(x) not in ALLOWED[side]]
        if side != LAUNCHER:  # the engine's heavy libraries are not in Rasa's environment
            problems += [f"importing {m} loads {x}" for x in loaded if x in ("torch", "faiss", "gradrec_core")]
    problems += [f"{n}: not installed for Python {report['version']}" for n, ok in report["found"].items() if not ok]
    return problems


def test_rasa_side_imports_under_rasa(tmp_path: Path) -> None:
    modules = BY_SIDE[RASA] + BY_SIDE[COMMON]
    report = probe(rasa_python(), modules, third_party(modules), tmp_path)
    assert report["version"][:2] == [3, 10]
    assert not _check_imports(report, RASA), "\n".join(_check_imports(report, RASA))


def test_launcher_side_imports_under_the_engine(tmp_path: Path) -> None:
    modules = BY_SIDE[LAUNCHER] + BY_SIDE[COMMON]
    report = probe(sys.executable, modules, third_party(modules), tmp_path)
    assert not _check_imports(report, LAUNCHER), "\n".join(_check_imports(report, LAUNCHER))
    assert not any(x == "rasa" or x.startswith(("rasa.", "assistant.rasa")) for loaded in report["loaded"].values()
                   for x in loaded)


def test_common_imports_alone_under_both(tmp_path: Path) -> None:
    """The shared modules load the standard library and each other only (a third-party package
    they name lazily must be installed in both environments)."""
    names = third_party(BY_SIDE[COMMON])
    for python in (rasa_python(), sys.executable):
        report = probe(python, BY_SIDE[COMMON], names, tmp_path)
        assert not _check_imports(report, COMMON), "\n".join(_check_imports(report, COMMON))
        outside = {x.split(".")[0] for loaded in report["loaded"].values() for x in loaded} - set(sys.stdlib_module_names)
        assert outside <= {"assistant"}, f"Python {report['version']}: the shared modules load {sorted(outside)}"
