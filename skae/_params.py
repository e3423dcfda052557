"""Misspelt parameter names fail loudly, with the closest valid name.

skae's estimators take ``**kwargs`` only for the arguments scikeras routes to Keras by
prefix (``model__units``, ``optimizer__beta_1``, ``fit__shuffle``, ...). Any other unknown
keyword is a typo - ``contamintion=0.1`` - that would otherwise be stored and ignored, so
construction raises a ``TypeError`` (as a function given an unexpected keyword does, and
as scikit-learn's estimators do) naming the argument and the closest valid name.
"""

from __future__ import annotations

import difflib
import inspect

__all__ = ["ROUTED_PREFIXES", "check_kwargs", "invalid_parameter", "is_routed"]

from ._compat import ROUTING_PREFIXES, is_routed

#: Prefixes of the keyword arguments routed to Keras (``prefix__name``), sorted for messages.
ROUTED_PREFIXES = tuple(sorted(ROUTING_PREFIXES))


def _closest(name: str, valid) -> str:
    close = difflib.get_close_matches(name, sorted(valid), n=1, cutoff=0.6)
    return f" Did you mean {close[0]!r}?" if close else ""


def _init_names(cls) -> list[str]:
    parameters = inspect.signature(cls.__init__).parameters.values()
    return [p.name for p in parameters
            if p.name != "self" and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)]


def check_kwargs(cls, kwargs: dict) -> None:
    """Raise a TypeError for a keyword of ``cls(...)`` that is neither a parameter nor routed.

    Parameters
    ----------
    cls : type
        The estimator class being constructed.
    kwargs : dict
        The keyword arguments its ``**kwargs`` collected.

    Raises
    ------
    TypeError
        Naming the first unknown argument and the closest valid parameter name.

    Examples
    --------
    >>> class Detector:
    ...     def __init__(self, *, contamination="auto", n_std=1.0, **kwargs):
    ...         pass
    >>> check_kwargs(Detector, {"optimizer__beta_1": 0.8})
    >>> try:
    ...     check_kwargs(Detector, {"contamintion": 0.1})
    ... except TypeError as exc:
    ...     print(exc)
    Detector.__init__() got an unexpected keyword argument 'contamintion'. Did you mean
    'contamination'? ...
    """
    for name in kwargs:
        # "kwargs" itself: the catch-all's own name, which scikit-learn's estimator checks
        # pass as if it were a parameter; kept as before rather than refused.
        if name != "kwargs" and not is_routed(name):
            raise TypeError(
                f"{cls.__name__}.__init__() got an unexpected keyword argument {name!r}."
                f"{_closest(name, _init_names(cls))} Besides its parameters, "
                f"{cls.__name__} only accepts arguments routed to Keras, named "
                f"<{'|'.join(ROUTED_PREFIXES)}>__<name> (e.g. optimizer__beta_1)."
            )


def invalid_parameter(estimator, name: str) -> ValueError:
    """The ``set_params`` error for an unknown parameter ``name`` of ``estimator``.

    A ``ValueError``, as scikit-learn's ``set_params`` raises, naming the closest valid
    parameter and the routed form.
    """
    valid = estimator.get_params(deep=False)
    return ValueError(
        f"Invalid parameter {name!r} for estimator {type(estimator).__name__}."
        f"{_closest(name, valid)} Valid parameters are: {sorted(valid)}, and arguments "
        f"routed to Keras named <{'|'.join(ROUTED_PREFIXES)}>__<name>."
    )
