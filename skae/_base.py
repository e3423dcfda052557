"""The base class shared by skae's three estimators.

``_BaseAutoencoder`` owns what every autoencoder estimator does: parameter validation,
input validation, building and compiling the network (the built-in ``dense`` and ``conv2d``
architectures or a user builder, through scikeras's ``model`` convention), training through
:mod:`skae._training`, fast batched inference through :mod:`skae._inference`, reconstruction
errors and pickling. Subclasses add only what makes them different, through the hooks and
declarations of the "hooks and declarations" section below.
"""

from __future__ import annotations

from ._quiet import import_tensorflow_quietly

# before Keras: a worker process unpickling an estimator imports this module directly,
# not through skae's lazy attributes, and TensorFlow's log lines would leak there
import_tensorflow_quietly()

import inspect
import math
import os
from numbers import Integral, Real

import keras
import numpy as np
from sklearn.base import ClassNamePrefixFeaturesOutMixin, TransformerMixin, _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from ._architectures import architecture_names, get_architecture, split_autoencoder
from ._collapse import network_activations
from ._compat import _ScikerasConventions, named_classes, route_params, takes, unflatten_params
from ._dask_import import is_dask_collection
from ._distribute import in_strategy_scope
from ._fit_checks import check_enough_rows, reconstruction_verdict
from ._inference import ForwardPasses, element_errors
from ._memory import train_or_load
from ._network_params import check_network_params, overcomplete_message
from ._out_of_core import fit_out_of_core
from ._params import check_kwargs, invalid_parameter, is_routed
from ._pca_floor import floor_options, init_linear_path
from ._persistence import save_estimator
from ._reservoir import RowReservoir
from ._serialization import (
    copy_network,
    network_from_bytes,
    network_to_bytes,
    same_compile_settings,
    unchanged_on_failure,
)
from ._training import TrainingDiverged, auto_batch_size, auto_epochs, train_network
from ._warnings import warn

__all__ = ["_BaseAutoencoder", "_store_params"]

# Keys of the per-fit state that are rebuilt rather than pickled.
_TRANSIENT = ("encoder_", "decoder_", "_passes", "_fit_callbacks", "_stream_rows")


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


def _check_float32_range(X: np.ndarray, what: str = "X") -> None:
    """Refuse values the float32 network would see as infinite."""
    limit = float(np.finfo(np.float32).max)
    if X.dtype == np.float64 and X.size and (X.max() > limit or X.min() < -limit):
        raise ValueError(
            f"{what} contains values of magnitude up to {np.abs(X).max():.3g}, beyond the "
            f"float32 range (+-{limit:.3g}) the network computes in; they would become "
            "infinite. Scale the input, e.g. with StandardScaler."
        )


#: The dtypes validate_data returns unchanged for the networks (float32, float64).
_FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def _plain_rows(X, estimator) -> bool:
    """Whether X already is what ``validate_data`` would return for a fitted estimator
    unchanged: a finite 2-D float32/float64 ndarray of the fitted width, with no feature
    names on either side. Checked in microseconds; single rows skip the full validation
    (a third of their scoring time), anything else takes it."""
    if (type(X) is not np.ndarray or X.ndim != 2 or X.dtype not in _FLOAT_DTYPES
            or X.shape[0] < 1 or X.shape[1] != getattr(estimator, "n_features_in_", None)
            or hasattr(estimator, "feature_names_in_") or not np.isfinite(X).all()):
        return False
    _check_float32_range(X)
    return True


def _optimizer_class(optimizer):
    """The class of an optimizer given by name ("adam"), found without creating one.

    Looking it up through ``keras.optimizers.get`` instantiates a throwaway optimizer; Keras
    numbers its name ("adam_7"), and TensorFlow keeps an eager kernel (~35 KB) per distinct
    variable name for good: the process grew by ~70 KB with every fit.
    """
    if not isinstance(optimizer, str):
        return optimizer
    classes = {
        cls.__name__.lower(): cls for cls in vars(keras.optimizers).values()
        if inspect.isclass(cls) and issubclass(cls, keras.optimizers.Optimizer)
    }
    if optimizer.lower() in classes:
        return classes[optimizer.lower()]
    return type(keras.optimizers.get(optimizer))  # Keras's aliases; its error otherwise


def _metric(name: str):
    """A Keras metric class for ``name``; names Keras resolves from the loss pass through."""
    if name in ("acc", "accuracy", "ce", "crossentropy"):
        return name
    return keras.metrics.get(name)


class _BaseAutoencoder(_ScikerasConventions):
    """Shared machinery of skae's autoencoder estimators (not for direct use)."""

    _parameter_constraints: dict = {
        "model": [None, callable, keras.Model],
        "architecture": [StrOptions(set(architecture_names()))],
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
        "distribute_strategy": [None, HasMethods(["scope"])],
    }

    # ------------------------------------------------------------------ hooks and declarations
    #: Parameters that never change the trained network: the ``memory`` cache leaves them
    #: out of its key (subclasses add theirs).
    _non_network_params = frozenset({"verbose", "fit__verbose", "warm_start", "memory"})
    #: Fitted attributes a skae file stores (``save`` / ``skae.load``) besides the network;
    #: ``n_components_`` and the forward passes are rebuilt from the network when loaded.
    _saved_attributes = ("n_features_in_", "feature_names_in_", "history_", "n_iter_")
    #: Of ``_saved_attributes``, those a fitted estimator may lack.
    _optional_attributes = ("feature_names_in_",)
    #: Of ``_saved_attributes``, those that are None or a finite float vector of shape
    #: ``(n_features_in_,)``, mapped to whether its entries must be > 0 (``skae.load``
    #: checks them; the detector's scaling vectors).
    _saved_feature_vectors = {"center_": False, "scale_": True, "feature_error_scale_": True}
    #: ``batch_size="auto"`` as ``(divisor, low, high)`` of :func:`skae._training.auto_batch_size`:
    #: ``min(128, n_samples)`` here.
    _auto_batch = (1, 1, 128)
    #: Gradient steps that ``epochs="auto"`` aims at (only where ``"auto"`` is allowed).
    _auto_steps = None
    #: Trainings of at most this many steps run eagerly (None: ``_training.EAGER_MAX_STEPS``).
    _eager_max_steps = None
    #: Whether ``_after_training`` learns statistics of the training rows, which
    #: ``partial_fit`` then takes from a sample of all the rows of the stream.
    _calibrates_on_stream = False

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

    def _code_activation(self):
        """Activation of the dense code layer (hook; linear here)."""
        return "linear"

    def _fit_input_scaling(self, X: np.ndarray) -> None:
        """Learn, from the training targets, a scaling of the network's input (hook; none
        here). Its fitted object reaches the forward passes through :meth:`_pass_options`."""

    def _pass_options(self) -> dict:
        """Fitted ``scaling`` and ``error_scale`` for :class:`skae._inference.ForwardPasses`
        (hook; none here)."""
        return {}

    def _after_training(self, recon: np.ndarray, Z_target: np.ndarray,
                        sample_weight=None) -> None:
        """Learn from the network's reconstruction ``recon`` of the training rows, both in
        the network's space, and the rows' weights (hook: the detector's error scale and
        threshold)."""

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
    @_fit_context(prefer_skip_nested_validation=True)
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

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y=None, sample_weight=None):
        """Train for one more epoch, starting from the current weights if fitted.

        Successive calls form a stream (until the next ``fit``). The outlier detector's
        statistics of the training rows (error normalisation, isolation forest, rank
        grids, threshold) come from all the rows of the stream: from a uniform sample of
        at most 100,000 of them (``skae._reservoir``; all of them up to that many), held
        in memory as float64, about ``100,000 * (n_features + 2) * 8`` bytes at most, and
        neither pickled nor saved. The input scaling stays the first call's.

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
        return self._fit(X, y, warm_start=True, epochs=1, sample_weight=sample_weight,
                         stream=True)

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

    def _fit(self, X, y, *, warm_start: bool, epochs, sample_weight=None, stream=False):
        """Train (or load from ``memory``), then calibrate; a failure leaves ``self`` as it was."""
        continuing = warm_start and hasattr(self, "model_")
        staged = self._staging_copy()  # the fit works on it; self changes at the end only
        if is_dask_collection(X):  # trained block by block: skae/_out_of_core.py
            fit_out_of_core(staged, X, y, continuing=continuing, epochs=epochs,
                            sample_weight=sample_weight)
            self._publish(staged.__dict__)
            return self
        # weights and optimizer state come back if this fit fails or is interrupted
        with unchanged_on_failure(staged, continuing):
            Z_in, Z_target, weights = staged._training_rows(
                X, y, sample_weight, continuing=continuing
            )
            network, history = staged._train_or_load(Z_in, Z_target, epochs, continuing,
                                                     weights)
            staged._bind_network(network)
            staged._record_history(history, continuing)
            recon = staged._passes.network(Z_in)  # Z_in's precision, as when scoring
            staged._check_trained(recon)
            staged._warn_if_collapsed(recon, Z_target)
            if staged._calibrates_on_stream:
                Z_target, weights = staged._rows_of_stream(Z_target, weights, stream=stream)
                recon = staged._passes.network(Z_target)
            staged._after_training(recon, Z_target, weights)
        self._publish(staged.__dict__)
        return self

    def _staging_copy(self):
        """A copy sharing this estimator's attributes, for a fit to change instead of it."""
        staged = object.__new__(type(self))
        staged.__dict__.update(self.__dict__)
        return staged

    def _publish(self, state: dict) -> None:
        """Replace the fitted state at once: a call that started before sees the old state
        (through :meth:`_published`), one that starts after sees the new one."""
        self.__dict__ = state

    def _published(self):
        """A view of the fitted state as it is now, unchanged by a fit that publishes a new
        one while the caller reads it (a refit in another thread)."""
        view = object.__new__(type(self))
        view.__dict__ = self.__dict__
        return view

    def _rows_of_stream(self, Z_target, weights, *, stream: bool):
        """The rows to calibrate on: this fit's, or with ``partial_fit`` a bounded uniform
        sample of all the rows of the stream so far (:mod:`skae._reservoir`)."""
        previous = getattr(self, "_stream_rows", None) if stream else None
        self._stream_rows = None
        if not stream:
            return Z_target, weights
        pool = (previous or RowReservoir()).add(Z_target, weights, seed=self._draw_seed())
        self._stream_rows = pool
        return pool.rows, self._check_weights(pool.weights, pool.rows)

    def _training_rows(self, X, y, sample_weight, *, continuing: bool):
        """Validated training inputs, targets (in the network's scaled space) and weights."""
        X = self._check_input(X, reset=not continuing)
        self._check_input_shape(X.shape[1])
        check_enough_rows(self, X.shape[0])
        weights = self._check_weights(sample_weight, X)
        self._warn_if_overcomplete(X.shape[1])
        X_in, X_target = self._training_data(X, y)
        weights = self._training_weights(weights, y)
        if not continuing:
            self._fit_input_scaling(X_target)
        scaling = self._pass_options().get("scaling")
        if scaling is None:
            return X_in, X_target, weights
        Z_in = scaling.transform(X_in)
        return Z_in, (Z_in if X_target is X_in else scaling.transform(X_target)), weights

    def _train_or_load(self, Z_in, Z_target, epochs, continuing: bool, sample_weight=None):
        """``(network, history)``: trained on these rows, or loaded from ``memory``."""
        seed = self._draw_seed()
        self._initialize_callbacks()
        fit_kwargs = route_params(self.get_params(), "fit", pass_filter=set(), strict=True)
        fit_kwargs = {k: v for k, v in fit_kwargs.items() if k != "callbacks"}
        batch_size = fit_kwargs.pop("batch_size", self.batch_size)
        epochs = fit_kwargs.pop("epochs", epochs)
        if batch_size in (None, "auto"):
            batch_size = auto_batch_size(Z_in.shape[0], *self._auto_batch)
        if epochs == "auto":
            epochs = auto_epochs(Z_in.shape[0], batch_size, self._auto_steps)
        verbose = fit_kwargs.pop("verbose", self.verbose)
        corrupt = self._corruption(Z_in, Z_target)

        def build_and_train():
            network = (self._continued_network() if continuing
                       else self._make_network(Z_in.shape[1], seed))
            if not continuing:  # the PCA floor's linear path, where the network has one
                init_linear_path(network, Z_target, seed)
            return network, train_network(
                network,
                Z_in.astype(np.float32, copy=False),
                Z_target.astype(np.float32, copy=False),
                epochs=epochs, batch_size=batch_size,
                validation_fraction=self.validation_fraction,
                early_stopping=self.early_stopping, n_iter_no_change=self.n_iter_no_change,
                seed=seed, verbose=verbose, callbacks=self._fit_callbacks, corrupt=corrupt,
                fit_kwargs=fit_kwargs, sample_weight=sample_weight,
                eager_max_steps=self._eager_max_steps,
            )

        train = in_strategy_scope(self.distribute_strategy, build_and_train)
        return train_or_load(self, train, Z_in, Z_target, seed=seed, epochs=epochs,
                             continuing=continuing, sample_weight=sample_weight)

    def _continued_network(self) -> keras.Model:
        """The fitted network to train further, compiled with the current parameters.

        Changed compile settings (``optimizer``, ``learning_rate``, ``loss``, ``metrics`` or
        routed ``optimizer__``, ``loss__``, ``metrics__``, ``compile__`` ones) get a copy of
        the network compiled with them and a fresh optimizer; unchanged ones keep the
        optimizer state. A user's ``model`` keeps its own compile settings.
        """
        network = self.model_
        if self.model is not None or network.optimizer is None:
            return network
        wanted = self._compile_kwargs()
        if same_compile_settings(network, wanted):
            return network
        return copy_network(network, compile_kwargs=wanted)

    def _record_history(self, history: dict, continuing: bool) -> None:
        if continuing:  # a new dict: the snapshot's history_ must stay as it was
            merged = {key: list(values) for key, values in self.history_.items()}
            for key, values in history.items():
                merged.setdefault(key, []).extend(values)
            self.history_ = merged
        else:
            self.history_ = history
        self.n_iter_ = len(history.get("loss", []))

    def _check_trained(self, recon: np.ndarray) -> None:
        if not (np.isfinite(recon).all()  # e.g. weights turned NaN in the last step
                and all(np.isfinite(w).all() for w in self.model_.get_weights())):
            raise TrainingDiverged(
                "Training diverged: the trained network's weights or its reconstruction "
                "of the training data are NaN or infinite. Lower `learning_rate` or scale "
                "the input (e.g. StandardScaler); the estimator was left as it was before "
                "this fit."
            )

    def _draw_seed(self) -> int:
        rs = self.random_state
        if rs is None:  # fresh OS entropy; never the global numpy generator
            return int(np.random.SeedSequence().generate_state(1)[0] % (2**31 - 1))
        if isinstance(rs, Integral):
            return int(rs) % (2**31 - 1)
        return int(rs.randint(2**31 - 1))

    def _architecture_sizes(self, n_features: int) -> tuple[tuple[int, ...], int | None]:
        """Hidden sizes and code width: the user's, else the architecture's defaults."""
        hidden, n_components = get_architecture(self.architecture).default_sizes(n_features)
        if self.hidden_layer_sizes is not None:
            hidden = tuple(int(h) for h in np.atleast_1d(self.hidden_layer_sizes))
        if self.n_components is not None:
            n_components = int(self.n_components)
        return hidden, n_components

    def _make_network(self, n_features: int, seed: int) -> keras.Model:
        hidden, n_components = self._architecture_sizes(n_features)
        if self.model is None:
            input_shape = None if self.input_shape is None else tuple(self.input_shape)
            spec = get_architecture(self.architecture)
            network = spec.build(
                n_features, input_shape, hidden, n_components,
                activation=self.activation, output_activation=self.output_activation,
                dropout=self.dropout, seed=seed, code_activation=self._code_activation(),
                **floor_options(self, spec),
            )
        else:
            network = self._build_user_network(n_features, hidden, n_components, seed)
        split_autoencoder(network)  # fails early with a clear message
        if not network.compiled:
            network.compile(**self._compile_kwargs())
        return network

    def _build_user_network(self, n_features, hidden, n_components, seed) -> keras.Model:
        build_fn = self._model_builder()
        params = route_params(self.get_params(), "model", pass_filter=set(), strict=True)
        meta = {
            "n_features_in_": n_features,
            "input_shape": self.input_shape,
            "hidden_layer_sizes": hidden,
            "n_components": n_components,
            "random_state": seed,
        }
        if takes(build_fn, "meta"):
            params["meta"] = meta
        if takes(build_fn, "compile_kwargs"):
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
                if takes(optimizer, "name"):
                    # Fixed, not Keras's numbered "adam_1", "adam_2", ...: TensorFlow keeps an
                    # eager kernel (~35 KB) per distinct variable name for good, so numbered
                    # optimizer variables grew the process with every fit.
                    opt_params.setdefault("name", optimizer.__name__.lower())
            optimizer = unflatten_params(items=optimizer, params=opt_params)
        loss = unflatten_params(
            items=named_classes(self.loss, keras.losses.get),
            params=route_params(params, "loss", pass_filter=set(), strict=False),
        )
        metrics = self.metrics
        if metrics is not None:
            metrics = unflatten_params(
                items=named_classes(metrics, _metric),
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
        self._passes = ForwardPasses(
            network, self.encoder_, self.decoder_, loss=self._error_kind(),
            **self._pass_options(),
        )

    def _warn_if_collapsed(self, recon: np.ndarray, X_target: np.ndarray) -> None:
        network = getattr(self, "model_", None)
        activations = (network_activations(network) if network is not None
                       else {str(self.activation)})
        message = reconstruction_verdict(  # raises for a fit far worse than the column means
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
        """Refuse an ``input_shape`` the architecture cannot take, or that X's rows do not fill."""
        spec = None if self.model is not None else get_architecture(self.architecture)
        if spec is not None and spec.needs_input_shape and self.input_shape is None:
            raise ValueError(
                f"architecture={spec.name!r} needs input_shape, e.g. {spec.shape_example}."
            )
        if self.input_shape is None:
            return
        shape = tuple(self.input_shape)
        if not shape or any(not isinstance(s, Integral) or s < 1 for s in shape):
            raise ValueError(f"input_shape must be a tuple of positive ints, got {shape}.")
        if spec is not None and spec.shape_forms and len(shape) not in spec.shape_forms:
            raise ValueError(
                f"architecture={spec.name!r} takes input_shape="
                f"{' or '.join(spec.shape_forms.values())}; got input_shape={shape}."
            )
        if math.prod(shape) != n_features:
            raise ValueError(
                f"input_shape={shape} holds {math.prod(shape)} values per row, but X has "
                f"{n_features} columns; they must match."
            )

    # ------------------------------------------------------------------ inference
    def _validated(self, X) -> tuple[np.ndarray, np.dtype]:
        check_is_fitted(self, "model_")
        if not _plain_rows(X, self):
            X = self._check_input(X, reset=False)
        return X, X.dtype

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
        X, _ = self._validated(X)
        return self._passes.reconstruct(X)

    def _error_kind(self) -> str:
        return "mae" if self.loss in ("mae", "mean_absolute_error") else "mse"

    def _element_errors(self, recon: np.ndarray, Z: np.ndarray) -> np.ndarray:
        """float64 error of every value of the reconstruction ``recon`` of ``Z``."""
        return element_errors(recon, Z, self._error_kind() != "mae")

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
        return passes.feature_errors(X) if per_feature else passes.row_errors(X)

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
        X, _ = self._validated(X)
        return self._passes.encode(X)

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
        _check_float32_range(codes, "The codes")
        try:
            out = self._passes.decode(codes)
            _check_float32_range(out, "The decoded rows")
        except ValueError as exc:
            if "overflow" not in str(exc) and "float32" not in str(exc):
                raise  # not an overflow: decode's own error, as it is
            raise ValueError(
                "The decoded rows overflow the float32 range the network computes in: these "
                "codes lie far outside the range that transform produces. Pass codes from "
                f"transform, or of a similar magnitude ({exc})"
            ) from None
        return out
