"""Hatch build hook: bundle ontology/, data/ and queries/ inside the wheel."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

BUNDLED = ("ontology", "data", "queries")


class CustomBuildHook(BuildHookInterface):
    """Force-include each existing top-level resource directory as nervegraph/_bundled/<name>."""

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        """Add the resource directories to the wheel's force_include map."""
        # An editable install reads the checkout directly (resources.bundled_dir), so
        # copying the directories would only leave stale duplicates in site-packages.
        if self.target_name != "wheel" or version == "editable":
            return
        for name in BUNDLED:
            directory = Path(self.root) / name
            if directory.is_dir():
                build_data["force_include"][str(directory)] = f"nervegraph/_bundled/{name}"
