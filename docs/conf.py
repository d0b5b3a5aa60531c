"""Sphinx configuration for the fastattest documentation (built in CI with warnings as errors)."""
from __future__ import annotations

import fastattest

project = "fastattest"
author = "The fastattest developers"
copyright = "2026, the fastattest developers"
release = fastattest.__version__
version = release

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.intersphinx",
]
source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3
exclude_patterns = ["_build", "bench"]

autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"members": True, "undoc-members": False, "show-inheritance": False}
# the Cython core has no importable source for type annotations: keep the stub names as text
autodoc_type_aliases: dict[str, str] = {}
nitpicky = False

intersphinx_mapping: dict[str, tuple[str, None]] = {}

html_theme = "furo"
html_title = f"fastattest {release}"
