"""The one place where skae follows scikeras 0.13's conventions (without importing it).

skae follows scikeras's parameter conventions - routed ``prefix__name`` parameters
(``optimizer__momentum``, ``loss__delta``, ``callbacks__patience``, ``compile__jit_compile``),
callbacks and losses given as classes or names and compiled from routed parameters - but
its estimators do not subclass scikeras's ``BaseWrapper``. scikeras 0.13 is unmaintained and
predates scikit-learn 1.6: ``BaseWrapper`` declares tags through ``_more_tags`` only, which
scikit-learn >= 1.6 rejects in every class of an estimator's MRO
(``check_estimator_tags_renamed``). Giving ``BaseWrapper`` the missing ``__sklearn_tags__``
would change scikeras for every user in the process; so :class:`_ScikerasConventions`, skae's
own base class, implements the few conventions skae uses, and nothing of scikeras is patched.
It never imports scikeras: importing scikeras replaces ``keras.Model.__reduce__`` and
``__deepcopy__`` and the ``__reduce__`` of Keras's losses, metrics and optimizers for the whole
process, and its ``tensorflow_random_state`` reseeds Python, numpy and TensorFlow globally.

The two scikeras functions skae uses are vendored below, unchanged in behaviour:
:func:`route_params` (strip a ``destination__`` prefix) and :func:`unflatten_params`
(instantiate a class, or the classes of a list or dict, from routed parameters).
``tests/test_compat.py`` checks that they agree with scikeras's own.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable, Mapping, Sequence

import keras
from sklearn.base import BaseEstimator

__all__ = [
    "_ScikerasConventions",
    "named_classes",
    "route_params",
    "unflatten_params",
]

#: prefixes of routed parameters (``optimizer__learning_rate``), as scikeras routes them
ROUTING_PREFIXES = frozenset(
    {"model", "fit", "predict", "compile", "optimizer", "loss", "metrics", "callbacks"}
)


def is_routed(name: str) -> bool:
    """The one rule for a routed argument: ``<prefix>__<name>[__<name>...]``.

    ``prefix`` is one of :data:`ROUTING_PREFIXES`; each further part is a name or a list
    index (``callbacks__0__patience``).

    Examples
    --------
    >>> is_routed("optimizer__beta_1"), is_routed("n_component"), is_routed("fit__")
    (True, False, False)
    >>> is_routed("callbacks__0__patience"), is_routed("optimizer__beta 1")
    (True, False)
    """
    prefix, sep, rest = name.partition("__")
    return (bool(sep) and prefix in ROUTING_PREFIXES and bool(rest)
            and all(part.isidentifier() or part.isdigit() for part in rest.split("__")))


# route_params and unflatten_params: vendored from scikeras 0.13 (scikeras/_utils.py),
# Copyright (c) 2020 Adrian Garcia Badaracco, MIT License.
_DIGITS = frozenset("0123456789")


def route_params(params: dict, destination: str, pass_filter: Iterable[str] | None,
                 strict: bool = False) -> dict:
    """Parameters for ``destination``: the routed ``destination__name`` ones with their
    prefix removed, and the unrouted ones that ``pass_filter`` names (all if it is None);
    ``strict`` drops ``destination__inner__name`` ones."""
    res = {k: v for k, v in params.items()
           if "__" not in k and (pass_filter is None or k in pass_filter)}
    prefix = destination + "__"
    for key, val in params.items():
        if "__" in key and key.startswith(prefix):  # nested destinations too ("0__name")
            new_key = key[len(prefix):]
            if not (strict and "__" in new_key):
                res[new_key] = val
    return res


def _unrouted(params: dict) -> dict:
    return {p: v for p, v in params.items() if "__" not in p}


def unflatten_params(items, params: dict, base_params: dict | None = None):
    """Instantiate ``items`` (a class, or the classes in a list, tuple or dict) with the
    routed parameters ``params`` (``name``, ``0__name``, ``key__name``, ``arg__inner``)."""
    if inspect.isclass(items):
        args_and_kwargs = {**(base_params or {}), **_unrouted(params)}
        for p, v in args_and_kwargs.items():
            args_and_kwargs[p] = unflatten_params(
                v, route_params(params, destination=f"{p}", pass_filter=set()))
        kwargs = {k: v for k, v in args_and_kwargs.items() if k[0] not in _DIGITS}
        args = sorted((int(k), v) for k, v in args_and_kwargs.items() if k not in kwargs)
        return items(*(v for _, v in args), **kwargs)
    if isinstance(items, (list, tuple, dict)):
        base = _unrouted(params)
        pairs = items.items() if isinstance(items, dict) else enumerate(items)
        res = {key: unflatten_params(
            item, route_params(params, destination=f"{key}", pass_filter=set()), base)
            for key, item in pairs}
        return res if isinstance(items, dict) else type(items)(res.values())
    kwargs = {**(base_params or {}), **_unrouted(params)}
    if kwargs:
        raise TypeError(
            f'TypeError: "{str(items)}" object of type "{type(items)}"'
            "does not accept parameters because it's not a class."
            f' However, it received parameters "{kwargs}"'
        )
    return items


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
        routed = {k: v for k, v in params.items() if is_routed(k)}
        for key, value in routed.items():
            setattr(self, key, value)
        rest = {k: v for k, v in params.items() if k not in routed}
        return super().set_params(**rest) if rest else self

    def _initialize_callbacks(self) -> None:
        """Build ``callbacks`` and ``fit__callbacks`` (classes get their ``callbacks__`` or
        ``fit__callbacks__`` arguments) for this fit, as scikeras does."""
        params = self.get_params()

        def initialize(destination: str) -> list:
            if params.get(destination) is None:
                return []
            routed = route_params(params, destination=destination, pass_filter=set())
            return _as_callback_list(unflatten_params(params[destination], routed))

        self._fit_callbacks = initialize("callbacks") + initialize("fit__callbacks")

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
