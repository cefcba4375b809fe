"""The XGBoost and LightGBM recipes of docs/pruning.md, run as plain scripts where the library is
installed (neither is a dependency of hpcore).

tests/test_readme.py runs every ```python block of the guides; these recipes are fenced ```py
instead (highlighted the same), so that it leaves them to this test, which skips a recipe whose
library is missing.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.test_readme import _user_env, code_blocks

GUIDE = Path(__file__).resolve().parents[1] / "docs" / "pruning.md"
RECIPES = [b for b in code_blocks(GUIDE) if b.language == "py"]


def _library(text: str) -> str:
    """The module a recipe is about: the first of xgboost, lightgbm it imports."""
    found = re.search(r"^import (xgboost|lightgbm)\b", text, re.MULTILINE)
    assert found, f"a ```py block of {GUIDE.name} that imports neither xgboost nor lightgbm:\n{text}"
    return found.group(1)


def test_the_guide_has_both_recipes():
    assert sorted(_library(b.text) for b in RECIPES) == ["lightgbm", "xgboost"]


@pytest.mark.parametrize("block", RECIPES, ids=lambda b: _library(b.text))
def test_recipe_runs_as_a_plain_script(block, tmp_path):
    pytest.importorskip(_library(block.text))
    script = tmp_path / "recipe.py"
    script.write_text(block.text, encoding="utf-8")
    proc = subprocess.run([sys.executable, script.name], cwd=tmp_path, env=_user_env(), capture_output=True,
                          text=True, timeout=300, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr[-4000:]
    assert "pruned; best log loss" in proc.stdout
