"""medoffice.edi is pure Python: no module in it may import Django, directly or through us."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import medoffice.edi

EDI = Path(medoffice.edi.__file__).parent


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_no_edi_module_names_django():
    for path in EDI.rglob("*.py"):
        bad = {n for n in _imports(path) if n == "django" or n.startswith("django.")}
        assert not bad, f"{path.relative_to(EDI)} imports {bad}"


def test_every_edi_module_imports_with_django_blocked():
    modules = [
        "medoffice.edi." + ".".join(p.relative_to(EDI).with_suffix("").parts)
        for p in EDI.rglob("*.py")
        if p.name != "__init__.py"
    ]
    code = (
        "import sys\n"
        "sys.modules['django'] = None\n"  # any 'import django...' now fails
        "import importlib\n"
        f"for name in {sorted(modules)!r}:\n"
        "    importlib.import_module(name)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode == 0, proc.stderr
