"""``distribute_strategy``: build and train the network under a ``tf.distribute.Strategy``.

Keras places a network's variables where the strategy in scope says (mirrored on every
device for ``MirroredStrategy``) and then trains it with that strategy: each global batch
is split between the replicas and their gradients are summed. Inference needs no
strategy.
"""

from __future__ import annotations

import contextlib

__all__ = ["in_strategy_scope", "strategy_key", "strategy_scope"]


def strategy_scope(strategy):
    """``strategy.scope()``, or a context that does nothing when ``strategy`` is None.

    Examples
    --------
    >>> with strategy_scope(None):
    ...     pass
    """
    return contextlib.nullcontext() if strategy is None else strategy.scope()


def in_strategy_scope(strategy, fn):
    """``fn`` as a function that runs it under ``strategy_scope(strategy)``."""

    def run(*args, **kwargs):
        with strategy_scope(strategy):
            return fn(*args, **kwargs)

    return run


def strategy_key(strategy):
    """What of a strategy the ``memory`` cache key holds: its class and replica count.

    A strategy is a live TensorFlow object (it cannot be pickled, so not hashed); the
    network it trains depends only on how many replicas split each batch.
    """
    cls = type(strategy)
    return f"{cls.__module__}.{cls.__qualname__}", int(strategy.num_replicas_in_sync)
