"""Sphinx configuration of skae's documentation site.

Build it from the repository root with::

    python -m sphinx -W --keep-going -b html docs docs/_build/html

Nothing is downloaded during the build: links to scikit-learn, NumPy, pandas and Keras
pages are plain URLs, and the gallery runs on data bundled with skae or scikit-learn.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # document this checkout, not another installed copy
sys.path.insert(0, str(Path(__file__).resolve().parent))  # gallery_checks
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # quiet TensorFlow in the gallery
os.environ.setdefault("MPLBACKEND", "Agg")

import skae  # noqa: E402

project = "skae"
author = "skae developers"
copyright = "skae developers"
version = release = skae.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "myst_parser",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
templates_path = ["_templates"]
exclude_patterns = ["_build", "_templates", "examples", "Thumbs.db", ".DS_Store"]
language = "en"

# -- API reference: autosummary + numpydoc -------------------------------------------------
autosummary_generate = True
autodoc_default_options = {"members": True, "inherited-members": True}
autodoc_typehints = "none"  # types are in the numpydoc Parameters sections
numpydoc_show_class_members = False  # members are listed by the autosummary templates
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True


def _defining_module(obj) -> str:
    """The module that defines ``obj`` (a method, property or descriptor)."""
    fn = getattr(obj, "fn", obj)  # scikit-learn's available_if descriptors
    fn = getattr(fn, "fget", fn)  # properties
    fn = getattr(fn, "__func__", fn)  # class and static methods
    return getattr(fn, "__module__", None) or ""


# Inherited methods that are part of the estimators' scikit-learn API. The others that
# scikeras's wrapper and scikit-learn's mixins add (scikeras internals, metadata-routing
# requests) are scikit-learn's or scikeras's to document.
_KEEP = {"fit_predict", "fit_transform", "get_feature_names_out", "get_params", "set_params"}


def skip_member(app, what, name, obj, skip, options):
    """Document skae's own methods and the scikit-learn API methods in ``_KEEP``."""
    if what != "class" or name in _KEEP:
        return None
    if obj is None or _defining_module(obj).startswith(("scikeras", "sklearn")):
        return True
    return None


_TYPE_LINE = re.compile(r"^(\s*[\w*, ]+ : )(.*)$")


def escape_types(app, what, name, obj, options, lines):
    """Keep numpydoc type descriptions literal text (``(n_samples, n_features_in_)``)."""
    for i, line in enumerate(lines):
        match = _TYPE_LINE.match(line)
        if match:
            head, types = match.groups()
            types = re.sub(r"(?<=\w)_(?=\W|$)", r"\\_", types).replace("*", r"\*")
            lines[i] = head + types


def setup(app):
    app.connect("autodoc-skip-member", skip_member)
    app.connect("autodoc-process-docstring", escape_types, priority=100)


# -- Markdown pages (MyST) ----------------------------------------------------------------
myst_heading_anchors = 3
myst_enable_extensions = ["colon_fence"]
suppress_warnings = ["myst.header"]  # some pages go from # straight to ###

# -- Gallery ------------------------------------------------------------------------------
sphinx_gallery_conf = {
    "examples_dirs": "examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "within_subsection_order": "FileNameSortKey",
    "backreferences_dir": "generated",
    "doc_module": ("skae",),
    "default_thumb_file": None,
    "remove_config_comments": True,
    "plot_gallery": "True",
    "matplotlib_animations": False,
    "min_reported_time": 0,
    "show_memory": False,
    # a collapsed network (ConvergenceWarning) fails its example, and -W the build
    "reset_modules": ("matplotlib", "gallery_checks.convergence_is_an_error"),
}

# -- HTML ---------------------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"skae {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_prev_next": True,
    "navbar_align": "left",
    "header_links_before_dropdown": 6,
    "secondary_sidebar_items": ["page-toc"],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
}
html_sidebars = {"index": [], "quick_start": [], "zh/*": []}
html_show_sourcelink = False
