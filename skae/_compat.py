"""The one place where skae neutralises scikeras 0.13's defects.

scikeras 0.13 is no longer maintained and predates scikit-learn 1.6. skae keeps its
``BaseWrapper`` (parameter routing, callbacks, optimizer and loss compilation) and fixes,
here and nowhere else, what breaks:

1. **Tags.** ``BaseWrapper`` declares tags through ``_more_tags``, which scikit-learn >= 1.6
   never reads (its ``_more_tags`` calls a ``super()._more_tags`` that no longer exists), and
   scikit-learn's ``check_estimator_tags_renamed`` rejects any class whose MRO defines
   ``_more_tags`` without ``__sklearn_tags__``. :func:`_declare_scikeras_tags` gives
   ``BaseWrapper`` the ``__sklearn_tags__`` scikeras would declare today (its ``_tags``
   translated; nothing else about the class changes), and :class:`_PatchedBaseWrapper`
   declares skae's own tags.
2. **Seeding.** ``BaseWrapper`` wraps model building and ``Model.fit`` in
   ``scikeras.utils.random_state.tensorflow_random_state``, which reseeds Python, numpy and
   TensorFlow globally and switches TF op determinism on. skae never enters it: seeds go into
   the initialisers, dropout layers, shuffling and noise generators that use them.
   :func:`_forbid_global_seeding` makes any remaining path into it fail loudly in tests.
3. **Score.** ``BaseWrapper.score`` calls a ``scorer`` stub that raises
   ``NotImplementedError``; skae's estimators define ``score`` themselves, so
   ``GridSearchCV`` works without a ``scoring`` argument.
4. **repr.** ``BaseWrapper.__repr__`` replaces scikit-learn's repr with a tab-separated dump;
   scikit-learn's (which shows only non-default parameters) is restored.
5. **Pickling.** Importing scikeras patches ``keras.Model.__reduce__`` globally; skae's
   estimators pickle their network themselves (``__getstate__``), in Keras's own format,
   loaded back in Keras's safe mode, so they do not rely on that patch.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from scikeras.wrappers import BaseWrapper
from sklearn.base import BaseEstimator
from sklearn.utils._available_if import available_if

__all__ = ["_PatchedBaseWrapper", "_forbid_global_seeding"]


def _scikeras_sklearn_tags(self):
    """``BaseWrapper``'s ``_tags`` ({"multioutput": True, ...}) as scikit-learn >= 1.6 tags."""
    tags = BaseEstimator.__sklearn_tags__(self)
    tags.target_tags.multi_output = bool(BaseWrapper._tags.get("multioutput", False))
    if tags.regressor_tags is not None:
        tags.regressor_tags.poor_score = bool(BaseWrapper._tags.get("poor_score", False))
    return tags


def _declare_scikeras_tags() -> None:
    """Give scikeras's ``BaseWrapper`` a ``__sklearn_tags__`` if it still lacks one."""
    if "__sklearn_tags__" not in vars(BaseWrapper):
        BaseWrapper.__sklearn_tags__ = _scikeras_sklearn_tags


_declare_scikeras_tags()


def _never(self) -> bool:
    return False


class _PatchedBaseWrapper(BaseWrapper):
    """scikeras's ``BaseWrapper`` with its scikit-learn >= 1.6 defects neutralised."""

    def __sklearn_tags__(self):
        tags = BaseEstimator.__sklearn_tags__(self)
        tags.non_deterministic = False
        tags.target_tags.required = False
        tags.input_tags.allow_nan = False
        tags.input_tags.sparse = False
        return tags

    @property
    def _more_tags(self):  # pragma: no cover - only reached by old scikit-learn
        raise AttributeError("skae declares its tags through __sklearn_tags__")

    # BaseWrapper's public methods that do not apply to skae's estimators: hidden, so that
    # ``hasattr`` (and scikit-learn's checks) see the estimator as it is.
    predict = available_if(_never)(BaseWrapper.predict)
    initialize = available_if(_never)(BaseWrapper.initialize)

    def __repr__(self, N_CHAR_MAX: int = 700) -> str:
        return BaseEstimator.__repr__(self, N_CHAR_MAX=N_CHAR_MAX)

    def _build_keras_model(self):  # pragma: no cover - skae builds its own networks
        raise NotImplementedError("skae builds networks in _BaseAutoencoder._make_network")

    def _fit_keras_model(self, *args, **kwargs):  # pragma: no cover
        raise NotImplementedError("skae trains networks in skae._training")


@contextlib.contextmanager
def _forbid_global_seeding() -> Iterator[None]:
    """Make scikeras's global seeding context raise while the block runs (for tests)."""
    import scikeras.wrappers as wrappers

    original = wrappers.tensorflow_random_state

    @contextlib.contextmanager
    def _refuse(seed):
        raise AssertionError("scikeras's global tensorflow_random_state was entered")
        yield  # pragma: no cover

    wrappers.tensorflow_random_state = _refuse
    try:
        yield
    finally:
        wrappers.tensorflow_random_state = original
