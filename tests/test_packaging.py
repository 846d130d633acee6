"""Packaging metadata that installs without deprecation noise from setuptools."""

from __future__ import annotations

import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

PYPROJECT = Path(__file__).parent.parent / "pyproject.toml"


def test_the_licence_is_an_spdx_string_that_the_required_setuptools_reads() -> None:
    data = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))
    assert data["project"]["license"] == "MIT"
    (setuptools,) = [
        Requirement(r) for r in data["build-system"]["requires"] if r.startswith("setuptools")
    ]
    # setuptools reads SPDX licence strings from 77.0 on and warns about the table form.
    assert not any(SpecifierSet(str(setuptools.specifier)).contains(v) for v in ("68.0", "76.9"))
