"""A service a shop can deploy: bad catalogs fail loudly, the launcher stops and supervises what
it starts, and nothing but the Rasa server gets into the action server."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def gradrec(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "gradrec_core.cli", *args], capture_output=True,
                          text=True, timeout=300, env=env, cwd=ROOT)


# ---------------------------------------------------------------------------------------------
# 1. bad catalogs


@pytest.mark.parametrize("content, message", [
    # the quote on line 2 never closes: before, the rest of the file became one field, exit 0
    ('id,name\nc1,"blue polo shirt\nc2,red skirt\n', "line 2: unbalanced quote"),
    ('id,name\nc1,blue polo shirt\nc2,"red skirt\nc3,green hat\nc4,navy dress\n', "line 3: unbalanced quote"),
    # the quote closes on a later line with text after it
    ('id,name\nc1,"blue polo\nc2,"red skirt"\n', "line 2: bad quoting"),
    # one field over the csv module's limit: the error names the field
    ("id,name,description\nc0,a,b\nc1,x," + "y" * 200_000 + "\n",
     "line 3: field 'description': longer than the limit of 131072 characters"),
])
def test_malformed_csv_rows_are_errors_naming_the_line(tmp_path: Path, content: str, message: str) -> None:
    catalog = tmp_path / "shop.csv"
    catalog.write_text(content)
    r = gradrec("index", str(catalog), "--out", str(tmp_path / "idx"))
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert message in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert str(catalog) in r.stderr
    assert not (tmp_path / "idx" / "manifest.json").exists()

