"""The gallery fails an example whose network collapsed (docs/gallery_checks.py)."""

import ast
import importlib.util
import warnings
from pathlib import Path

import pytest
from sklearn.exceptions import ConvergenceWarning

DOCS = Path(__file__).resolve().parents[1] / "docs"


def _gallery_checks():
    spec = importlib.util.spec_from_file_location("gallery_checks", DOCS / "gallery_checks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_reset_hook_turns_convergence_warning_into_an_error():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # as pyproject's filter does for the suite
        _gallery_checks().convergence_is_an_error({}, "plot_x.py", when="before")
        with pytest.raises(ConvergenceWarning):
            warnings.warn("training collapsed", ConvergenceWarning, stacklevel=1)


def test_gallery_runs_the_hook_before_every_example():
    tree = ast.parse((DOCS / "conf.py").read_text())
    (conf,) = [node.value for node in ast.walk(tree) if isinstance(node, ast.Assign)
               and any(getattr(t, "id", None) == "sphinx_gallery_conf" for t in node.targets)]
    gallery = ast.literal_eval(conf)
    assert "gallery_checks.convergence_is_an_error" in gallery["reset_modules"]
    assert gallery.get("reset_modules_order", "before") in ("before", "both")
