"""The one place where skae depends on scikeras 0.13's internals.

skae follows scikeras's parameter conventions - routed ``prefix__name`` parameters
(``optimizer__momentum``, ``loss__delta``, ``callbacks__patience``, ``compile__jit_compile``),
callbacks and losses given as classes or names and compiled from routed parameters - but
its estimators do not subclass scikeras's ``BaseWrapper``. scikeras 0.13 is unmaintained and
predates scikit-learn 1.6: ``BaseWrapper`` declares tags through ``_more_tags`` only, which
scikit-learn >= 1.6 rejects in every class of an estimator's MRO
(``check_estimator_tags_renamed``). Giving ``BaseWrapper`` the missing ``__sklearn_tags__``
would change scikeras for every user in the process; so :class:`_ScikerasConventions`, skae's
own base class, implements the few conventions skae uses, and nothing of scikeras is patched.
It also never enters scikeras's ``tensorflow_random_state``, which reseeds Python, numpy and
TensorFlow globally (:func:`_forbid_global_seeding` makes any path into it fail in tests).

Two private scikeras functions stay, imported here only: :func:`route_params` (strip a
``destination__`` prefix) and :func:`unflatten_params` (instantiate a class, or the classes of
a list or dict, from routed parameters). ``tests/test_compat.py`` pins the behaviour skae
relies on. (Importing scikeras itself still replaces ``keras.Model.__reduce__`` and
``__deepcopy__``; skae's estimators pickle their network themselves and rely on neither.)
"""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import Iterator, Mapping, Sequence

import keras
from scikeras._utils import route_params, unflatten_params
from sklearn.base import BaseEstimator

__all__ = [
    "_ScikerasConventions",
    "_forbid_global_seeding",
    "named_classes",
    "route_params",
    "unflatten_params",
]

#: prefixes of routed parameters (``optimizer__learning_rate``), as scikeras routes them
ROUTING_PREFIXES = frozenset(
    {"model", "fit", "predict", "compile", "optimizer", "loss", "metrics", "callbacks"}
)


def named_classes(items, getter):
    """Replace names (``"mse"``) by what ``getter`` returns for them, in lists and dicts too."""
    if isinstance(items, str):
        return getter(items)
    if isinstance(items, Sequence):
        return type(items)([named_classes(item, getter) for item in items])
    if isinstance(items, Mapping):
        return {key: named_classes(item, getter) for key, item in items.items()}
    return items


def _as_callback_list(callbacks) -> list:
    if isinstance(callbacks, Mapping):
        callbacks = list(callbacks.values())
    elif isinstance(callbacks, keras.callbacks.Callback):
        callbacks = [callbacks]
    flat = [cb for item in callbacks for cb in (item if isinstance(item, list) else [item])] \
        if isinstance(callbacks, list) else None
    if flat is None or not all(isinstance(cb, keras.callbacks.Callback) for cb in flat):
        raise TypeError(
            "callbacks must be a keras callback, a list of them (or of lists of them), or a "
            "dict of them; each a keras.callbacks.Callback instance or a subclass of it, "
            "built with callbacks__<argument> parameters."
        )
    return callbacks


class _ScikerasConventions(BaseEstimator):
    """scikit-learn's ``BaseEstimator`` with scikeras's routed parameters and callbacks."""

    _routing_prefixes = ROUTING_PREFIXES

    def _get_param_names(self):
        """Public attributes of the instance: ``__init__`` arguments and routed ones."""
        return [k for k in vars(self) if not k.endswith("_") and not k.startswith("_")]

    def get_params(self, deep: bool = True) -> dict:
        """Get the parameters of this estimator, routed ``prefix__name`` ones included.

        Parameters
        ----------
        deep : bool, default=True
            Also return the parameters of parameters that are estimators.

        Returns
        -------
        params : dict
            Parameter names mapped to their values.
        """
        out = {}
        for key in self._get_param_names():
            value = getattr(self, key)
            if deep and hasattr(value, "get_params") and not isinstance(value, type):
                out.update((f"{key}__{k}", v) for k, v in value.get_params().items())
            out[key] = value
        return out

    def set_params(self, **params):
        """Set parameters, routed ``prefix__name`` ones included.

        Parameters
        ----------
        **params : dict
            Estimator parameters.

        Returns
        -------
        self : estimator instance
        """
        routed = {k: v for k, v in params.items() if "__" in k and k.split("__")[0] in
                  ROUTING_PREFIXES}
        for key, value in routed.items():
            setattr(self, key, value)
        rest = {k: v for k, v in params.items() if k not in routed}
        return super().set_params(**rest) if rest else self

    def _initialize_callbacks(self) -> None:
        """Build ``callbacks`` (classes get their ``callbacks__`` arguments) for this fit."""
        params = self.get_params()
        callbacks = params.get("callbacks")
        if callbacks is None:
            self._fit_callbacks = []
        else:
            routed = route_params(params, destination="callbacks", pass_filter=set())
            self._fit_callbacks = _as_callback_list(unflatten_params(callbacks, routed))
        self._predict_callbacks = list(self._fit_callbacks)

    def _model_builder(self):
        """``model`` as a function: a pre-built ``keras.Model`` is returned as it is."""
        model = self.model
        if isinstance(model, keras.Model):
            return lambda **kwargs: model
        if not callable(model):
            raise TypeError("`model` must be a callable, a keras.Model instance or None.")
        return model


def takes(func, name: str) -> bool:
    """Whether ``func`` accepts a keyword argument ``name`` (or any, through ``**kwargs``)."""
    parameters = inspect.signature(func).parameters.values()
    return any(
        (p.name == name and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY))
        or p.kind == p.VAR_KEYWORD
        for p in parameters
    )


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
