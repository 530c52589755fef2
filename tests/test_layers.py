"""The package's layers hold (pyproject.toml's [tool.importlinter], docs/architecture.md's
"Layers"), and their contracts break on an upward import.

Runs `lint-imports` as a user does, on the checkout and on copies of it with one upward
import added: methods → training and training → catalog (the two imports that once ran
against the layering), training → reporting, the package → tools, and within the exports
files → serving. Reads sources only:
no TensorFlow.
"""

import os
import shutil
import subprocess
import sysconfig
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
LINT_IMPORTS = os.path.join(sysconfig.get_path("scripts"), "lint-imports")


def lint_imports(root: Path) -> subprocess.CompletedProcess:
    """lint-imports over the package and tools in `root`, as its pyproject.toml configures."""
    return subprocess.run([LINT_IMPORTS, "--no-cache"], cwd=root, capture_output=True,
                          text=True, env={**os.environ, "PYTHONPATH": str(root)}, timeout=120)


def test_the_package_keeps_its_layers():
    result = lint_imports(REPO)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("importer, imported, report", [
    ("hat_tf.methods.hat", "hat_tf.training.continual_model",
     "hat_tf.methods is not allowed to import hat_tf.training"),
    ("hat_tf.training.loop", "hat_tf.catalog",
     "hat_tf.training is not allowed to import hat_tf.catalog"),
    ("hat_tf.training.loop", "hat_tf.reporting.standard",
     "hat_tf.training is not allowed to import hat_tf.reporting"),
    ("hat_tf.cli", "tools.train", "hat_tf is not allowed to import tools"),
    ("hat_tf.export.files", "hat_tf.export.serving",
     "hat_tf.export.files is not allowed to import hat_tf.export.serving"),
])
def test_an_upward_import_breaks_a_contract(tmp_path, importer, imported, report):
    for tree in ("hat_tf", "tools"):
        shutil.copytree(REPO / tree, tmp_path / tree,
                        ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "pyproject.toml", tmp_path)
    with open(tmp_path / f"{importer.replace('.', '/')}.py", "a") as module:
        module.write(f"\nimport {imported}  # noqa: E402\n")
    result = lint_imports(tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert report in result.stdout and f"{importer} -> {imported}" in result.stdout
