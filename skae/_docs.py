"""Docstring fragments shared by the three estimators (one source for shared parameters)."""

from __future__ import annotations

import re
import textwrap

from ._architectures import architecture_names, get_architecture

__all__ = ["fill_doc"]


def _architecture_entry() -> str:
    """The ``architecture`` entry, written from the architecture registry."""
    names = architecture_names()
    lines = [
        f"    architecture : {{{', '.join(repr(n).replace(chr(39), chr(34)) for n in names)}}}"
        ', default="dense"',
    ]
    lines += [
        textwrap.fill(f'``"{name}"``: {get_architecture(name).summary} '
                      f'{get_architecture(name).sizes}'.rstrip(), width=92,
                      initial_indent=" " * 8, subsequent_indent=" " * 8, break_on_hyphens=False)
        for name in names
    ]
    return "\n".join(lines) + "\n"


_FRAGMENTS = {
    "shared_parameters": """\
    model : callable, keras.Model or None, default=None
        ``None`` builds the architecture below. Otherwise a scikeras-style builder (it may
        take ``meta`` - a dict with ``n_features_in_``, ``input_shape``,
        ``hidden_layer_sizes``, ``n_components`` and the integer ``random_state`` - and
        ``model__``-routed parameters) returning a ``keras.Model`` that chains two
        sub-models named ``"encoder"`` and ``"decoder"``, or such a model itself. A
        pre-built model is never trained in place: every ``fit`` trains a copy of it (its
        current weights, its compile settings if compiled) as ``model_``.
{architecture_entry}    hidden_layer_sizes : sequence of int or None, default=None
        Encoder widths (filters for a convolutional ``architecture``); the decoder mirrors
        them. ``None`` sizes them from the feature count, or as ``architecture`` says.
    n_components : int or None, default=None
        Width of the code. ``None``: about the square root of the feature count, between
        2 and 32, unless ``architecture`` says otherwise.
    activation : str, default="relu"
        Activation of the hidden layers.
    output_activation : str, default="linear"
        Activation of the reconstruction (``"sigmoid"`` for data in [0, 1]).
    dropout : float, default=0.0
        Dropout rate after each hidden layer, during training only.
    input_shape : tuple of int or None, default=None
        Shape of one row, for an ``architecture`` that reads rows as signals or images
        (which forms it takes, and whether it is required, is said there).
    loss : {"mse", "mae"}, str or keras loss, default="mse"
        Training loss. Reconstruction errors are absolute with ``"mae"``, squared otherwise.
    optimizer : str, class or keras optimizer, default="adam"
        Optimizer; ``optimizer__<name>`` routes its arguments.
    learning_rate : float, default=1e-3
        Learning rate of ``optimizer`` when it is given by name or class.
    epochs : int, default=100
        Maximum number of passes over the training data.
    batch_size : int or "auto", default="auto"
        Rows per gradient step; ``"auto"`` is ``min(128, n_samples)``.
    validation_fraction : float, default=0.1
        Fraction of the rows held out for early stopping.
    early_stopping : bool, default=True
        Stop when the validation loss has not improved for ``n_iter_no_change`` epochs and
        restore the best weights.
    n_iter_no_change : int, default=10
        Patience of early stopping, in epochs.
    random_state : int, RandomState instance or None, default=None
        Seeds the initialisers, dropout, the validation split and shuffling. Never touches
        the global numpy, Python or TensorFlow random state.
    verbose : int, default=0
        Keras's verbosity during training (1 shows a progress bar).
    warm_start : bool, default=False
        Continue training the current network on the next ``fit``.
    callbacks : list of keras callbacks or None, default=None
        Extra Keras callbacks during training (scikeras routing applies).
    metrics : list or None, default=None
        Extra Keras metrics recorded in ``history_``.
    memory : str, path-like, joblib.Memory or None, default=None
        Cache of trained networks, as ``Pipeline(memory=...)`` caches fitted transformers:
        a directory path, or a ``joblib.Memory`` whose ``location`` is used. A fit whose
        training rows, int ``random_state`` and network parameters (all parameters but
        ``verbose``, ``warm_start``, ``memory`` and the outlier detector's
        ``contamination``, ``threshold``, ``n_std`` and ``normal_label``) match a cached
        fit loads that network (a ``.keras`` file, in Keras's safe mode) instead of
        training it, so a ``GridSearchCV`` over threshold parameters trains one network
        per fold. Only reproducible networks are cached: those of a fresh fit (not a
        ``warm_start`` or ``partial_fit`` continuation) with an int ``random_state``;
        otherwise a warning says that nothing is cached. ``callbacks`` do not run on a
        cache hit.
    distribute_strategy : tf.distribute.Strategy or None, default=None
        Build and train the network under this strategy, e.g.
        ``tf.distribute.MirroredStrategy()`` to train on several GPUs (``batch_size`` is
        then the global batch, split between the devices). Inference needs none. An
        estimator holding a strategy cannot be pickled or saved: set it back to None
        first.
    **kwargs
        scikeras routed parameters: ``model__``, ``optimizer__``, ``loss__``, ``fit__``,
        ``compile__``, ``callbacks__``.""",
    "shared_attributes": """\
    model_ : keras.Model
        The trained autoencoder (``encoder_`` then ``decoder_``).
    encoder_ : keras.Model
        Rows to codes.
    decoder_ : keras.Model
        Codes to rows.
    n_components_ : int
        Width of the code.
    history_ : dict
        Per-epoch ``loss`` (and ``val_loss`` with early stopping).
    n_iter_ : int
        Number of epochs run.
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of the features, when X was a DataFrame with string column names.""",
}
_FRAGMENTS["shared_parameters"] = _FRAGMENTS["shared_parameters"].replace(
    "{architecture_entry}", _architecture_entry()
)


def _override_entries(text: str, overrides: dict) -> str:
    """Replace whole ``name : ...`` entries of a fragment by a class's own entries."""
    for name, entry in overrides.items():
        pattern = re.compile(rf"^    {re.escape(name)} :.*?(?=^    \S|\Z)", re.S | re.M)

        def swap(match, entry=entry):
            end = "\n" if match.group(0).endswith("\n") else ""
            return entry.rstrip("\n") + end

        text, n = pattern.subn(swap, text, count=1)
        if n != 1:
            raise ValueError(f"No shared docstring entry named {name!r} to override.")
    return text


def fill_doc(cls):
    """Replace ``{shared_parameters}`` / ``{shared_attributes}`` lines in a class docstring.

    Entries named in the class's ``_doc_overrides`` (a dict of parameter name to the full
    numpydoc entry) replace the shared ones, for parameters whose default differs.
    """
    doc = cls.__doc__
    overrides = getattr(cls, "_doc_overrides", {})
    for key, text in _FRAGMENTS.items():
        own = {
            k: v for k, v in overrides.items() if re.search(rf"^    {re.escape(k)} :", text, re.M)
        }
        doc = doc.replace("    {" + key + "}\n", _override_entries(text, own) + "\n")
    cls.__doc__ = doc
    return cls
