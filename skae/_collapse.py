"""Tell a collapsed training run from one that is merely short, and say what to try.

A network has *collapsed* when its reconstruction is no better than predicting each
feature's mean *and* the evidence says it will not get better by itself: it gives (almost)
the same output for every row - dead ReLUs, saturated tanh or sigmoid units - or its
training loss did not fall at all. A short run (2-3 epochs) whose loss is still falling and
whose output still follows the input is not collapsed; it is just short, and is not warned
about. The hint names what fits the network's activations.
"""

from __future__ import annotations

import numpy as np

__all__ = ["collapse_message", "network_activations"]

#: Output spread (mean per-feature variance) below this share of the data's (or of its typical
#: row's error, if less): a constant output.
_CONSTANT_SHARE = 1e-2
_RELU_LIKE = {"relu", "relu6", "leaky_relu"}
_SATURATING = {"tanh", "sigmoid", "hard_sigmoid", "hard_tanh", "softsign"}


def network_activations(network) -> set[str]:
    """Names of the activations of the layers of ``network`` (nested models included)."""
    names, stack = set(), [network]
    while stack:
        layer = stack.pop()
        activation = getattr(layer, "activation", None)
        if activation is not None:
            names.add(getattr(activation, "__name__", str(activation)))
        stack.extend(getattr(layer, "layers", []) or [])
    return names


def _no_better_than_mean(recon: np.ndarray, X: np.ndarray, baseline: float,
                         typical_baseline: float, constant: bool) -> float | None:
    """The training MSE when neither the mean nor the typical row beats the mean predictor
    (``baseline`` and ``typical_baseline``; for a constant output, when the mean does not)."""
    row_mse = np.mean((recon - X) ** 2, axis=1)
    mse = float(np.mean(row_mse))
    if constant:  # reconstructs nothing, whichever rows its constant happens to be near
        return mse if mse >= 0.99 * baseline else None
    # On heavy-tailed data a few far-out rows can carry most of the mean error of a network
    # that reconstructs the rest well: the typical row must be no better either.
    if mse >= 0.99 * baseline and float(np.median(row_mse)) >= 0.99 * typical_baseline:
        return mse
    return None


def _constant_output_hint(activations: set[str]) -> str:
    if activations & _RELU_LIKE:
        return ("the network gives the same output for every row: its ReLU units are dead "
                "(their input is always negative, so they output 0 and stop learning). Try "
                "activation='elu', a lower learning_rate or another random_state; more "
                "epochs do not revive dead units")
    if activations & _SATURATING:
        return ("the network gives the same output for every row: its tanh/sigmoid units are "
                "saturated (inputs far from 0 push them to their limits, where they stop "
                "learning). Standardise the input (e.g. StandardScaler), lower the "
                "learning_rate or try another random_state")
    return ("the network gives the same output for every row. Try another random_state, a "
            "lower learning_rate, or standardise the input")


def collapse_message(recon, X, *, history, activations, name: str) -> str | None:
    """The "training collapsed" warning's text, or None when the evidence is not there.

    Parameters
    ----------
    recon, X : ndarray of shape (n_samples, n_features)
        The network's reconstruction of the training targets, and the targets.
    history : mapping
        The training history (``history_``); its ``"loss"`` tells a run that made no
        progress from one that is still improving.
    activations : set of str
        Activation names of the network's layers, which decide the hint.
    name : str
        The estimator's class name, which starts the message.

    Returns
    -------
    str or None

    Examples
    --------
    >>> import numpy as np
    >>> X = np.random.default_rng(0).normal(size=(50, 3))
    >>> collapse_message(np.zeros_like(X), X, history={"loss": [1.0, 1.0]},
    ...                  activations={"tanh"}, name="Est")[:26]
    'Est: training collapsed: t'
    >>> print(collapse_message(0.5 * X, X, history={}, activations={"tanh"}, name="Est"))
    None
    """
    recon, X = np.asarray(recon, dtype=np.float64), np.asarray(X, dtype=np.float64)
    baseline = float(np.mean(np.var(X, axis=0)))
    if X.shape[0] < 2 or baseline <= 1e-12:
        return None  # nothing to learn beyond the mean
    # spread against the typical row's (not the mean) error: a few far-out rows can carry
    # nearly all of X's variance, and a network following every other row is not constant
    typical = float(np.median(np.mean((X - X.mean(axis=0)) ** 2, axis=1)))
    constant = float(np.mean(np.var(recon, axis=0))) <= _CONSTANT_SHARE * min(baseline, typical)
    mse = _no_better_than_mean(recon, X, baseline, typical, constant)
    if mse is None:
        return None
    losses = [float(v) for v in history.get("loss", [])]
    if constant:
        cause = _constant_output_hint(activations)
    elif len(losses) >= 3 and min(losses[1:]) >= 0.99 * losses[0]:
        cause = (f"the training loss did not fall ({losses[0]:.4g} in the first epoch, "
                 f"{min(losses[1:]):.4g} at best after). Lower the learning_rate, standardise "
                 "the input or try another random_state")
    else:
        return None  # still learning: a short run, not a collapse
    return (
        f"{name}: training collapsed: the reconstruction (training MSE {mse:.4g}) is no "
        f"better than predicting each feature's mean (MSE {baseline:.4g}), so its outputs "
        f"and scores carry no information. Likely cause: {cause}."
    )
