"""The base class shared by skae's three estimators.

``_BaseAutoencoder`` owns what every autoencoder estimator does: parameter validation,
input validation, building and compiling the network (the built-in ``dense`` and ``conv2d``
architectures or a user builder, through scikeras's ``model`` convention), training through
:mod:`skae._training`, fast batched inference through :mod:`skae._inference`, reconstruction
errors and pickling. Subclasses add only what makes them different.
"""

from __future__ import annotations

import inspect
import math
import os
from numbers import Integral, Real

import keras
import numpy as np
from scikeras._utils import (
    accepts_kwargs,
    get_loss_class_function_or_string,
    get_metric_class,
    get_optimizer_class,
    has_param,
    route_params,
    try_to_convert_strings_to_classes,
    unflatten_params,
)
from sklearn.base import ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from ._builders import build_conv2d_autoencoder, build_dense_autoencoder, split_autoencoder
from ._collapse import collapse_message, network_activations
from ._compat import _PatchedBaseWrapper
from ._inference import ForwardPasses, apply_batched
from ._memory import fit_network
from ._network_params import check_network_params, overcomplete_message
from ._params import check_kwargs, invalid_parameter, is_routed
from ._serialization import (
    copy_network,
    network_from_bytes,
    network_to_bytes,
    restore_network_state,
    snapshot_network_state,
)
from ._training import TrainingDiverged, train_network
from ._warnings import warn

__all__ = ["_BaseAutoencoder", "_store_params"]

# Keys of the per-fit state that are rebuilt rather than pickled.
_TRANSIENT = ("encoder_", "decoder_", "_passes", "_fit_callbacks", "_predict_callbacks")


def _store_params(estimator, arguments: dict) -> None:
    """Store ``__init__`` arguments unchanged; routed ``prefix__name`` kwargs as well.

    Any other keyword is a misspelt parameter: a TypeError naming the closest valid one.
    """
    routed = arguments.pop("kwargs", {})
    arguments.pop("self", None)
    arguments.pop("__class__", None)
    check_kwargs(type(estimator), routed)
    vars(estimator).update(arguments)
    vars(estimator).update(routed)
    if routed:
        estimator._user_params = set(routed)


def _check_float32_range(X: np.ndarray) -> None:
    """Refuse values the float32 network would see as infinite."""
    limit = float(np.finfo(np.float32).max)
    if X.dtype == np.float64 and X.size and (X.max() > limit or X.min() < -limit):
        raise ValueError(
            f"X contains values of magnitude up to {np.abs(X).max():.3g}, beyond the float32 "
            f"range (+-{limit:.3g}) the network computes in; they would become infinite. "
            "Scale the input, e.g. with StandardScaler."
        )


def _optimizer_class(optimizer):
    """The class of an optimizer given by name ("adam"), found without creating one.

    scikeras's ``get_optimizer_class`` instantiates a throwaway optimizer to read its type;
    Keras numbers its name ("adam_7"), and TensorFlow keeps an eager kernel (~35 KB) per
    distinct variable name for good: the process grew by ~70 KB with every fit.
    """
    if isinstance(optimizer, str):
        classes = {
            cls.__name__.lower(): cls for cls in vars(keras.optimizers).values()
            if inspect.isclass(cls) and issubclass(cls, keras.optimizers.Optimizer)
        }
        if optimizer.lower() in classes:
            return classes[optimizer.lower()]
    return try_to_convert_strings_to_classes(optimizer, get_optimizer_class)


def _auto_sizes(n_features: int) -> tuple[tuple[int, ...], int]:
    """Hidden widths and code width sized from the feature count."""
    n_components = int(min(32, max(2, math.ceil(math.sqrt(n_features)))))
    first = int(min(128, max(16, n_features)))
    second = int(min(64, max(8, n_features // 2)))
    hidden = (first, max(second, n_components))
    return hidden, n_components


class _BaseAutoencoder(_PatchedBaseWrapper):
    """Shared machinery of skae's autoencoder estimators (not for direct use)."""

    #: scikeras's legacy alias of ``model``; not a parameter of skae's estimators.
    build_fn = None

    _parameter_constraints: dict = {
        "model": [None, callable, keras.Model],
        "architecture": [StrOptions({"dense", "conv2d"})],
        "hidden_layer_sizes": [None, "array-like"],
        "n_components": [None, Interval(Integral, 1, None, closed="left")],
        "activation": [str, callable],
        "output_activation": [str, callable],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "input_shape": [None, tuple, list],
        "loss": [StrOptions({"mse", "mae"}), str, callable, keras.losses.Loss],
        "optimizer": [str, type, keras.optimizers.Optimizer],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "epochs": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [StrOptions({"auto"}), None, Interval(Integral, 1, None, closed="left")],
        "validation_fraction": [Interval(Real, 0, 1, closed="left")],
        "early_stopping": ["boolean"],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
        "callbacks": [None, list, dict, keras.callbacks.Callback, type],
        "metrics": [None, list, dict, str, callable],
        "memory": [None, str, os.PathLike, HasMethods(["cache"])],
    }

    # ------------------------------------------------------------------ tags and hooks
    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        if tags.transformer_tags is not None:
            tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags

    def _training_data(self, X: np.ndarray, y) -> tuple[np.ndarray, np.ndarray]:
        """Inputs and targets the network is trained on (hook for subclasses)."""
        return X, X

    def _corruption(self, X_in: np.ndarray, X_target: np.ndarray):
        """Corruption applied to training batches, or None (hook for the denoiser)."""
        return None

    def _training_weights(self, sample_weight, y):
        """The weights of the rows ``_training_data`` keeps (hook for the detector)."""
        return sample_weight

    def _after_fit(self, errors: np.ndarray, sample_weight=None) -> None:
        """Use the training rows' reconstruction errors (hook for the outlier detector)."""

    def _fit_preprocessing(self, X: np.ndarray) -> None:
        """Learn the input preprocessing from the training rows (hook for the detector)."""

    def _preprocess(self, X: np.ndarray) -> np.ndarray:
        """Map rows into the space the network works in (hook; identity here)."""
        return X

    def _postprocess(self, X: np.ndarray) -> np.ndarray:
        """Map the network's outputs back to the input space (inverse of ``_preprocess``)."""
        return X

    def _training_schedule(self, n_samples: int, epochs, batch_size):
        """Resolve ``epochs`` and ``batch_size`` for ``n_samples`` rows (hook)."""
        return epochs, batch_size

    def _code_activation(self):
        """Activation of the dense code layer (hook; linear here)."""
        return "linear"

    def _fit_scoring(self, recon: np.ndarray, X_target: np.ndarray) -> None:
        """Learn scoring statistics from the training reconstruction (hook for the detector)."""

    # ------------------------------------------------------------------ parameters
    def _validate_params(self):
        super()._validate_params()
        check_network_params(self)  # Keras's names and widths, named before any training

    def set_params(self, **params):
        """Set parameters; an unknown name is a ValueError naming the closest valid one.

        Parameters
        ----------
        **params : dict
            Parameters, and arguments routed to Keras (``optimizer__beta_1``, ...).

        Returns
        -------
        self : object
            The estimator.
        """
        valid = self.get_params(deep=False)
        for name in params:
            if not is_routed(name) and name.partition("__")[0] not in valid:
                raise invalid_parameter(self, name)
        return super().set_params(**params)

    # ------------------------------------------------------------------ fitting
    def fit(self, X, y=None, sample_weight=None):
        """Train the autoencoder on X.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data. Any real dtype; converted to float32 for the network.
        y : None
            Ignored by default; see the subclass for its meaning.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights of the rows in the training loss (and, for the outlier
            detector, in the threshold's statistics). Equal weights are no weights.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        return self._fit(X, y, warm_start=self.warm_start, epochs=self.epochs,
                         sample_weight=sample_weight)

    def partial_fit(self, X, y=None, sample_weight=None):
        """Train for one more epoch, starting from the current weights if fitted.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.
        y : None
            As in :meth:`fit`.
        sample_weight : array-like of shape (n_samples,), default=None
            As in :meth:`fit`.

        Returns
        -------
        self : object
            The estimator.
        """
        return self._fit(X, y, warm_start=True, epochs=1, sample_weight=sample_weight)

    def _check_weights(self, sample_weight, X: np.ndarray):
        """Validated weights (scikit-learn's checks), or None for none or equal ones."""
        if sample_weight is None:
            return None
        weights = _check_sample_weight(sample_weight, X, dtype=np.float64,
                                       ensure_non_negative=True)
        return None if np.all(weights == weights[0]) else weights

    def _warn_if_overcomplete(self, n_features: int) -> None:
        message = overcomplete_message(self, n_features)
        if message:
            warn(message, UserWarning)

    def _fit(self, X, y, *, warm_start: bool, epochs: int, sample_weight=None):
        self._validate_params()
        continuing = warm_start and hasattr(self, "model_")
        snapshot = dict(vars(self))
        # weights and optimizer state, restored if this fit fails or is interrupted
        saved_state = snapshot_network_state(self.model_) if continuing else None
        try:
            X = self._check_input(X, reset=not continuing)
            self._check_input_shape(X.shape[1])
            sample_weight = self._check_weights(sample_weight, X)
            self._warn_if_overcomplete(X.shape[1])
            X_in, X_target = self._training_data(X, y)
            sample_weight = self._training_weights(sample_weight, y)
            if not continuing:
                self._fit_preprocessing(X_target)
            same = X_target is X_in
            X_in = self._preprocess(X_in)
            X_target = X_in if same else self._preprocess(X_target)
            seed = self._draw_seed()
            self._initialize_callbacks()
            fit_kwargs = route_params(self.get_params(), "fit", pass_filter=set(), strict=True)
            fit_kwargs = {k: v for k, v in fit_kwargs.items() if k != "callbacks"}
            batch_size = fit_kwargs.pop("batch_size", self.batch_size)
            epochs = fit_kwargs.pop("epochs", epochs)
            epochs, batch_size = self._training_schedule(X_in.shape[0], epochs, batch_size)
            corrupt = self._corruption(X_in, X_target)

            def build_and_train():
                network = self.model_ if continuing else self._make_network(X_in.shape[1], seed)
                return network, train_network(
                    network,
                    X_in.astype(np.float32, copy=False),
                    X_target.astype(np.float32, copy=False),
                    epochs=epochs,
                    batch_size=batch_size,
                    validation_fraction=self.validation_fraction,
                    early_stopping=self.early_stopping,
                    n_iter_no_change=self.n_iter_no_change,
                    seed=seed,
                    verbose=fit_kwargs.pop("verbose", self.verbose),
                    callbacks=self._fit_callbacks,
                    corrupt=corrupt,
                    fit_kwargs=fit_kwargs,
                    sample_weight=sample_weight,
                )

            network, history = fit_network(  # trains, or loads the network `memory` cached
                self, build_and_train, X_in, X_target, seed=seed, epochs=epochs,
                continuing=continuing, sample_weight=sample_weight,
            )
            self._bind_network(network)
            if continuing:  # a new dict: the snapshot's history_ must stay as it was
                merged = {key: list(values) for key, values in self.history_.items()}
                for key, values in history.items():
                    merged.setdefault(key, []).extend(values)
                self.history_ = merged
            else:
                self.history_ = history
            self.n_iter_ = len(history.get("loss", []))
            recon = self._forward("reconstruct", X_in)  # X_in's precision, as when scoring
            if not (np.isfinite(recon).all()  # e.g. weights turned NaN in the last step
                    and all(np.isfinite(w).all() for w in self.model_.get_weights())):
                raise TrainingDiverged(
                    "Training diverged: the trained network's weights or its reconstruction "
                    "of the training data are NaN or infinite. Lower `learning_rate` or scale "
                    "the input (e.g. StandardScaler); the estimator was left as it was before "
                    "this fit."
                )
            self._warn_if_collapsed(recon, X_target)
            self._fit_scoring(recon, X_target)
            self._after_fit(self._row_errors(recon, X_target), sample_weight)
        except BaseException:
            if saved_state is not None:
                restore_network_state(saved_state)
            vars(self).clear()
            vars(self).update(snapshot)
            raise
        return self

    def _draw_seed(self) -> int:
        rs = self.random_state
        if rs is None:  # fresh OS entropy; never the global numpy generator
            return int(np.random.SeedSequence().generate_state(1)[0] % (2**31 - 1))
        if isinstance(rs, Integral):
            return int(rs) % (2**31 - 1)
        return int(rs.randint(2**31 - 1))

    def _architecture_sizes(self, n_features: int) -> tuple[tuple[int, ...], int | None]:
        hidden, n_components = _auto_sizes(n_features)
        if self.hidden_layer_sizes is not None:
            hidden = tuple(int(h) for h in np.atleast_1d(self.hidden_layer_sizes))
        if self.architecture == "conv2d":
            hidden = hidden if self.hidden_layer_sizes is not None else (32, 16)
            return hidden, self.n_components
        return hidden, n_components if self.n_components is None else int(self.n_components)

    def _make_network(self, n_features: int, seed: int) -> keras.Model:
        hidden, n_components = self._architecture_sizes(n_features)
        if self.model is None:
            if self.architecture == "conv2d":
                network = build_conv2d_autoencoder(
                    self.input_shape, filters=hidden, n_components=n_components,
                    activation=self.activation, output_activation=self.output_activation,
                    dropout=self.dropout, seed=seed,
                )
            else:
                network = build_dense_autoencoder(
                    n_features, hidden_layer_sizes=hidden, n_components=n_components,
                    activation=self.activation, output_activation=self.output_activation,
                    dropout=self.dropout, seed=seed, code_activation=self._code_activation(),
                )
        else:
            network = self._build_user_network(n_features, hidden, n_components, seed)
        split_autoencoder(network)  # fails early with a clear message
        if not network.compiled:
            network.compile(**self._compile_kwargs())
        return network

    def _build_user_network(self, n_features, hidden, n_components, seed) -> keras.Model:
        build_fn = self._check_model_param()
        params = route_params(self.get_params(), "model", pass_filter=set(), strict=True)
        meta = {
            "n_features_in_": n_features,
            "input_shape": self.input_shape,
            "hidden_layer_sizes": hidden,
            "n_components": n_components,
            "random_state": seed,
        }
        if has_param(build_fn, "meta") or accepts_kwargs(build_fn):
            params["meta"] = meta
        if has_param(build_fn, "compile_kwargs") or accepts_kwargs(build_fn):
            params["compile_kwargs"] = self._compile_kwargs()
        network = build_fn(**params)
        if not isinstance(network, keras.Model):
            raise TypeError(
                f"`model` must return a keras.Model, got {type(network).__name__}"
            )
        if network is self.model:  # pre-built: train a copy, never the caller's object
            network = copy_network(network)
        return network

    def _compile_kwargs(self) -> dict:
        """Keras ``compile`` arguments from ``optimizer``, ``learning_rate``, ``loss``, ..."""
        params = self.get_params()
        optimizer = self.optimizer
        if isinstance(optimizer, keras.optimizers.Optimizer):  # never share optimizer state
            optimizer = type(optimizer).from_config(optimizer.get_config())
        else:
            optimizer = _optimizer_class(optimizer)
            opt_params = route_params(params, "optimizer", pass_filter=set(), strict=True)
            if inspect.isclass(optimizer):
                opt_params.setdefault("learning_rate", self.learning_rate)
                if has_param(optimizer, "name"):
                    # Fixed, not Keras's numbered "adam_1", "adam_2", ...: TensorFlow keeps an
                    # eager kernel (~35 KB) per distinct variable name for good, so numbered
                    # optimizer variables grew the process with every fit.
                    opt_params.setdefault("name", optimizer.__name__.lower())
            optimizer = unflatten_params(items=optimizer, params=opt_params)
        loss = unflatten_params(
            items=try_to_convert_strings_to_classes(self.loss, get_loss_class_function_or_string),
            params=route_params(params, "loss", pass_filter=set(), strict=False),
        )
        metrics = self.metrics
        if metrics is not None:
            metrics = unflatten_params(
                items=try_to_convert_strings_to_classes(metrics, get_metric_class),
                params=route_params(params, "metrics", pass_filter=set(), strict=False),
            )
            if not isinstance(metrics, (list, dict)):
                metrics = [metrics]
        compile_kwargs = route_params(params, "compile", pass_filter=set(), strict=True)
        return {"optimizer": optimizer, "loss": loss, "metrics": metrics, **compile_kwargs}

    def _bind_network(self, network: keras.Model) -> None:
        """Attach a trained network and its compiled forward passes to the estimator."""
        self.model_ = network
        self.encoder_, self.decoder_ = split_autoencoder(network)
        self.n_components_ = int(np.prod(self.encoder_.outputs[0].shape[1:]))
        self._n_features_out = self.n_components_
        self._passes = ForwardPasses(network, self.encoder_, self.decoder_)

    def _warn_if_collapsed(self, recon: np.ndarray, X_target: np.ndarray) -> None:
        network = getattr(self, "model_", None)
        activations = (network_activations(network) if network is not None
                       else {str(self.activation)})
        message = collapse_message(
            recon, X_target, history=getattr(self, "history_", {}), activations=activations,
            name=type(self).__name__,
        )
        if message:
            warn(message, ConvergenceWarning)

    # ------------------------------------------------------------------ validation
    def _check_input(self, X, *, reset: bool) -> np.ndarray:
        """Validate X (finite, 2-D, numeric, >= 1 row); record or check the feature count."""
        X = validate_data(
            self, X, reset=reset, dtype=(np.float64, np.float32), ensure_all_finite=True,
            ensure_2d=True, allow_nd=False, ensure_min_samples=1, copy=False,
        )
        _check_float32_range(X)
        return X

    def _check_input_shape(self, n_features: int) -> None:
        if self.architecture == "conv2d" and self.model is None and self.input_shape is None:
            raise ValueError(
                "architecture='conv2d' needs input_shape, e.g. input_shape=(28, 28, 1) for "
                "rows of 784 pixels."
            )
        if self.input_shape is not None:
            shape = tuple(self.input_shape)
            if not shape or any(not isinstance(s, Integral) or s < 1 for s in shape):
                raise ValueError(f"input_shape must be a tuple of positive ints, got {shape}.")
            if math.prod(shape) != n_features:
                raise ValueError(
                    f"input_shape={shape} holds {math.prod(shape)} values per row, but X has "
                    f"{n_features} columns; they must match."
                )

    # ------------------------------------------------------------------ inference
    def _forward(self, which: str, X: np.ndarray, *, check_finite=False) -> np.ndarray:
        """Output of the ``which`` pass on X, in bounded-memory chunks (see _inference)."""
        passes = self._passes
        return apply_batched(
            getattr(passes, which), X, passes.row_bytes, check_finite=check_finite
        )

    def _validated(self, X) -> tuple[np.ndarray, np.dtype]:
        check_is_fitted(self, "model_")
        X = self._check_input(X, reset=False)
        return X, X.dtype

    def _input_affine(self) -> tuple[np.ndarray, np.ndarray] | None:
        """``(scale, shift)`` with ``_preprocess(X) == X * scale + shift``: the form in which
        the dense engine's one-graph passes of large chunks take the preprocessing; None when
        the engine has none (``DenseChain.bulk_row_errors`` / ``bulk_scaled_call``)."""
        if not hasattr(self._passes.reconstruct, "bulk_row_errors"):
            return None
        return np.ones(self.n_features_in_), np.zeros(self.n_features_in_)

    def _error_weights(self) -> np.ndarray:
        """Per-feature weights of the row-mean error (all ones here)."""
        return np.ones(self.n_features_in_)

    def _in_working_precision(self, rows: np.ndarray) -> np.ndarray:
        """A chunk in the precision the network pass will compute it in, converted once up
        front so that preprocessing and errors are not computed in float64 around a float32
        pass (float64 chunks of bulk calls, see ``DenseChain.bulk_dtype``)."""
        working_dtype = getattr(self._passes.reconstruct, "working_dtype", None)
        return rows if working_dtype is None else rows.astype(working_dtype(rows), copy=False)

    def reconstruct(self, X) -> np.ndarray:
        """Return the network's reconstruction of X.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Input rows.

        Returns
        -------
        X_reconstructed : ndarray of shape (n_samples, n_features)
            float64 for float64 input, else float32.
        """
        X, dtype = self._validated(X)
        passes = self._passes
        chain = passes.reconstruct
        affine = self._input_affine()

        def recon(rows):  # chunk by chunk, preprocessing included: bounded temporary memory
            if affine is not None and rows.shape[0] > chain.numpy_max_rows:
                scale, shift = affine  # z = x * scale + shift, so x = (z - shift) / scale
                return chain.bulk_scaled_call(rows, scale, shift, 1.0 / scale, -shift / scale)
            rows = self._in_working_precision(rows)
            return self._postprocess(chain(self._preprocess(rows)))

        out = apply_batched(recon, X, passes.row_bytes, check_finite=True)
        return out.astype(dtype, copy=False)

    def _row_errors(self, recon: np.ndarray, X: np.ndarray, per_feature: bool = False):
        diff = recon.astype(np.float64, copy=False) - X
        square = self._error_kind() != "mae"
        errors = np.square(diff, out=diff) if square else np.abs(diff, out=diff)
        return errors if per_feature else errors.mean(axis=1)

    def _error_kind(self) -> str:
        return "mae" if self.loss in ("mae", "mean_absolute_error") else "mse"

    def reconstruction_error(self, X, per_feature: bool = False) -> np.ndarray:
        """Reconstruction error of each row (squared error, or absolute with ``loss="mae"``).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Input rows.
        per_feature : bool, default=False
            If True, return the error of every value (which features made a row an
            outlier) instead of the mean over features.

        Returns
        -------
        errors : ndarray of shape (n_samples,) or (n_samples, n_features)
        """
        X, _ = self._validated(X)
        passes = self._passes
        chain = passes.reconstruct
        affine = None if per_feature else self._input_affine()
        if affine is not None:
            weights, square = self._error_weights(), self._error_kind() != "mae"

        def errors(rows):  # chunk by chunk: no full-size reconstruction is ever held
            if affine is not None and rows.shape[0] > chain.numpy_max_rows:
                return chain.bulk_row_errors(rows, *affine, weights, square)
            rows = self._preprocess(self._in_working_precision(rows))
            return self._row_errors(chain(rows), rows, per_feature=per_feature)

        row_bytes = passes.row_bytes + 16 * self.n_features_in_
        return apply_batched(errors, X, row_bytes, check_finite=True)

    def score_samples(self, X) -> np.ndarray:
        """Minus the reconstruction error of each row: higher is more normal.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Input rows.

        Returns
        -------
        scores : ndarray of shape (n_samples,)
        """
        return -self.reconstruction_error(X)

    def score(self, X, y=None, sample_weight=None) -> float:
        """Minus the mean reconstruction error, so that greater is better.

        This makes ``GridSearchCV`` work without a ``scoring`` argument.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Input rows.
        y : None
            Ignored.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the rows in the mean.

        Returns
        -------
        score : float
        """
        return float(np.average(self.score_samples(X), weights=sample_weight))

    # ------------------------------------------------------------------ persistence
    def save(self, path) -> None:
        """Save the estimator to one file that holds data only; read it with ``skae.load``.

        The file (a zip of ``meta.json`` and, once fitted, ``model.keras``) stores the
        parameters, the fitted attributes and the network in Keras's format. Loading it
        never runs code, so it is safe to share - unlike a pickle. Parameters that are code
        (a ``model`` builder, callbacks, a custom loss) cannot be stored as data: such an
        estimator is refused with a ``TypeError``; use pickle or joblib for it.

        Parameters
        ----------
        path : str, path-like or binary file object
            Where to write. A path is written atomically (no truncated file on failure).

        Examples
        --------
        >>> import os, tempfile
        >>> import numpy as np
        >>> from skae import AutoencoderTransformer, load
        >>> X = np.random.default_rng(0).normal(size=(100, 6))
        >>> ae = AutoencoderTransformer(n_components=2, epochs=2, random_state=0).fit(X)
        >>> path = os.path.join(tempfile.mkdtemp(), "ae.skae")
        >>> ae.save(path)
        >>> bool(np.array_equal(load(path).transform(X), ae.transform(X)))
        True
        """
        from ._persistence import save_estimator

        save_estimator(self, path)

    # ------------------------------------------------------------------ pickling
    def __getstate__(self):
        state = super().__getstate__()
        state = {k: v for k, v in state.items() if k not in _TRANSIENT}
        if "model_" in state:
            state["model_"] = network_to_bytes(state["model_"])
        return state

    def __setstate__(self, state):
        state = dict(state)
        network = state.pop("model_", None)
        super().__setstate__(state)
        if network is not None:
            self._bind_network(network_from_bytes(network))


class _CodeMixin(ClassNamePrefixFeaturesOutMixin, TransformerMixin):
    """``transform`` / ``inverse_transform`` between rows and codes.

    A ``TransformerMixin`` itself, so that scikit-learn wraps ``transform`` for
    ``set_output`` here, where it is defined.
    """

    def transform(self, X) -> np.ndarray:
        """Encode X: the code of each row.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Input rows.

        Returns
        -------
        codes : ndarray of shape (n_samples, n_components_)
        """
        X, dtype = self._validated(X)
        return self._forward("encode", X, check_finite=True).astype(dtype, copy=False)

    def inverse_transform(self, X) -> np.ndarray:
        """Decode codes back to rows of the input space.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_components_)
            Codes, as returned by :meth:`transform`.

        Returns
        -------
        X_reconstructed : ndarray of shape (n_samples, n_features_in_)
        """
        check_is_fitted(self, "model_")
        from sklearn.utils import check_array

        codes = check_array(X, dtype=(np.float64, np.float32), ensure_all_finite=True)
        if codes.shape[1] != self.n_components_:
            raise ValueError(
                f"X has {codes.shape[1]} columns, but inverse_transform expects codes of "
                f"width n_components_={self.n_components_}."
            )
        out = self._forward("decode", codes, check_finite=True)
        return out.astype(codes.dtype, copy=False)
