"""A plain Python session prints no TensorFlow C++ / absl log lines, unless the user asks."""

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LOG_LINE = re.compile(r"^[IWEF]\d{4} \d\d:\d\d:\d+\.\d+\s+\d+ \S+:\d+\]", re.MULTILINE)

FIT_AND_SCORE = """
import numpy as np
import skae
from skae import ReconstructionOutlierDetector
X = np.random.default_rng(0).normal(size=(60, 4))
det = ReconstructionOutlierDetector(epochs=2, random_state=0).fit(X)
det.predict(X)
import os
print("LEVEL", os.environ.get("TF_CPP_MIN_LOG_LEVEL"))
"""


def _run(code: str, **env_updates) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    env.update(env_updates)
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
        env=env, timeout=300, cwd=ROOT,
    )


def test_first_use_and_fit_print_no_tensorflow_log_lines():
    result = _run(FIT_AND_SCORE)
    assert result.returncode == 0, result.stderr
    assert "LEVEL 3" in result.stdout
    assert not LOG_LINE.search(result.stderr), result.stderr
    assert "absl" not in result.stderr
    assert "cuInit" not in result.stderr


def test_a_log_level_the_user_set_wins():
    result = _run(FIT_AND_SCORE, TF_CPP_MIN_LOG_LEVEL="0")
    assert result.returncode == 0, result.stderr
    assert "LEVEL 0" in result.stdout
    assert LOG_LINE.search(result.stderr), "the user asked for TensorFlow's INFO lines"


@pytest.mark.parametrize("line, expected", [
    ("I0000 00:00:1796177321.425128    6112 port.cc:153] oneDNN custom operations", True),
    ("E0000 00:00:1796177329.315321    6112 cuda_platform.cc:52] failed call to cuInit", True),
    ("WARNING: All log messages before absl::InitializeLog() is called are written", True),
    ("script.py:3: UserWarning: something the user must see", False),
    ("I am a line", False),
])
def test_log_line_recognition(line, expected):
    from skae._quiet import is_tensorflow_log_line

    assert is_tensorflow_log_line(line) is expected


def test_held_back_lines_keep_everything_but_log_lines():
    code = """
    import os, sys
    from skae._quiet import _held_back_log_lines
    with _held_back_log_lines():
        os.write(2, b"I0000 00:00:17.5    61 port.cc:153] oneDNN is on\\n")
        print("a python warning", file=sys.stderr)
        os.write(2, b"E0000 00:00:18.5    61 cuda.cc:52] failed call to cuInit\\n")
    print("after", file=sys.stderr)
    """
    result = _run(code)
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines() == ["a python warning", "after"]


@pytest.mark.parametrize("level", ["3"])  # other levels: test_held_back_lines_below_...
def test_a_level_the_user_set_to_hide_info_lines_hides_them(level):
    result = _run(FIT_AND_SCORE, TF_CPP_MIN_LOG_LEVEL=level)
    assert result.returncode == 0, result.stderr
    assert f"LEVEL {level}" in result.stdout
    assert not re.search(r"^I\d{4} ", result.stderr, re.M), result.stderr
    assert "absl::InitializeLog" not in result.stderr


def test_grid_search_workers_print_no_tensorflow_log_lines():
    # loky's worker processes inherit the "3" skae set, and import TensorFlow themselves
    code = """
    import numpy as np
    from sklearn.model_selection import GridSearchCV
    from skae import AutoencoderTransformer
    X = np.random.default_rng(0).normal(size=(60, 4))
    GridSearchCV(AutoencoderTransformer(epochs=1, random_state=0),
                 {"n_components": [1, 2]}, cv=2, n_jobs=2).fit(X)
    print("done")
    """
    result = _run(code)
    assert result.returncode == 0, result.stderr
    assert "done" in result.stdout
    assert not LOG_LINE.search(result.stderr), result.stderr


def test_held_back_lines_below_the_level_only():
    code = """
    import os
    from skae._quiet import _held_back_log_lines
    with _held_back_log_lines("I"):
        os.write(2, b"I0000 00:00:17.5    61 port.cc:153] oneDNN is on\\n")
        os.write(2, b"E0000 00:00:18.5    61 cuda.cc:52] failed call to cuInit\\n")
    """
    result = _run(code)
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines() == [
        "E0000 00:00:18.5    61 cuda.cc:52] failed call to cuInit"]


def test_a_fit_raises_no_keras_deprecation_warnings():
    import warnings

    import numpy as np

    from skae import AutoencoderTransformer, DenoisingAutoencoder, ReconstructionOutlierDetector

    X = np.random.default_rng(0).normal(size=(60, 4))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for Estimator in (AutoencoderTransformer, DenoisingAutoencoder,
                          ReconstructionOutlierDetector):
            est = Estimator(epochs=2, random_state=0).fit(X)
            est.score_samples(X[:1])
    deprecations = [str(w.message)[:80] for w in caught
                    if issubclass(w.category, DeprecationWarning)]
    assert deprecations == []
