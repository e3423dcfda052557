"""
ECG5000: abnormal heartbeats by reconstruction error
====================================================

Train an autoencoder on normal heartbeats only; a beat it cannot reconstruct well is
unusual. This is the classic recipe of the TensorFlow autoencoder tutorial, done with
:class:`~skae.ReconstructionOutlierDetector`, which follows scikit-learn's outlier
detector contract: ``predict`` gives +1 (normal) or -1 (outlier) and ``score_samples``
is higher for more normal beats.

``skae demo ecg`` runs the full walkthrough in one command; :doc:`/walkthroughs` quotes
its figures, measured by
``python benchmarks/seed_walkthroughs.py --walkthroughs ecg``.
This page is also available :doc:`in Chinese (中文) </zh/ecg5000>`.
"""

# %%
# The data
# --------
# 5000 heartbeats of 140 time steps each ship with skae. The label is 1 for a normal beat
# and 0 for an abnormal one (TensorFlow's ``ecg.csv`` convention). The rows are sorted by
# class, so split with shuffling (the default of ``train_test_split``).
from sklearn.model_selection import train_test_split

from skae.datasets import load_ecg5000

X, y = load_ecg5000(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=21)
X_train_normal = X_train[y_train == 1]
print(f"{len(X_train_normal)} normal training beats; "
      f"{len(X_test)} test beats, {int((y_test == 0).sum())} of them abnormal")

# %%
# Training on normal beats
# ------------------------
# A recipe for signals: the beats are already normalised one by one and their 140 time
# steps share one unit, so the detector's per-feature treatment (``scaling="robust"`` and
# ``error_normalization``, which tables with mixed units need) is switched off: the network
# sees the raw beat, and a beat's error is its mean squared error per time step.
# ``n_estimators=1, isolation_weight=0.0`` make the detector one autoencoder scored by its
# reconstruction error alone, as in the tutorial: beats share one unit and one shape, which
# a single network's error ranks best (the default design, an ensemble combined with an
# isolation forest, is made for tables).
# ``threshold="mean_std", n_std=1.0`` is the tutorial's rule: a beat is abnormal when its
# error is above the mean + 1 standard deviation of the training beats' errors.
from skae import ReconstructionOutlierDetector

detector = ReconstructionOutlierDetector(
    scaling=None, error_normalization=False,
    hidden_layer_sizes=(128,), n_components=32, activation="relu",
    epochs=30, batch_size=256, n_estimators=1, isolation_weight=0.0,
    contamination="auto", threshold="mean_std", n_std=1.0, random_state=0,
)
detector.fit(X_train_normal)
print(f"trained {detector.n_iter_} epochs; threshold_ = {detector.threshold_:.4f}")

# %%
# Instead of selecting the normal rows yourself, pass labels in scikit-learn's outlier
# convention (+1 normal, -1 outlier) with ``normal_label=1``: ``fit`` then trains on the
# +1 rows only. This is what lets a ``GridSearchCV`` train on normal rows and evaluate on
# all of them (see :doc:`/thresholds`)::
#
#     detector.set_params(normal_label=1).fit(X_train, 2 * y_train - 1)
#
# Results on the test beats
# -------------------------
# With *normal* as the positive class, as in the tutorial. ROC-AUC measures the ranking
# of ``score_samples`` alone, whatever the threshold.
from sklearn.metrics import accuracy_score, precision_score, recall_score, roc_auc_score

is_normal = detector.predict(X_test) == 1
print(f"accuracy  {accuracy_score(y_test, is_normal):.3f}")
print(f"precision {precision_score(y_test, is_normal):.3f}")
print(f"recall    {recall_score(y_test, is_normal):.3f}")
print(f"ROC-AUC   {roc_auc_score(y_test, detector.score_samples(X_test)):.4f}")

# %%
# The errors of normal and abnormal test beats, and the threshold (errors span several
# decades, hence the logarithmic axis):
import numpy as np

from skae.plotting import ErrorHistogramDisplay

errors = detector.reconstruction_error(X_test)
display = ErrorHistogramDisplay.from_predictions(
    errors, y_test, threshold=detector.threshold_,
    bins=np.geomspace(errors.min(), errors.max(), 40),
)
display.ax_.set_xscale("log")

# %%
# A typical normal beat and a typical abnormal beat (each its group's median error), with
# their reconstructions: the network has only learnt to draw normal beats.
import matplotlib.pyplot as plt

from skae.plotting import SignalReconstructionDisplay

fig, axes = plt.subplots(1, 2, figsize=(10, 3.5), sharey=True, layout="constrained")
for ax, label, name in zip(axes, (1, 0), ("normal", "abnormal"), strict=True):
    rows = np.flatnonzero(y_test == label)
    row = rows[np.argsort(errors[rows])[len(rows) // 2]]
    SignalReconstructionDisplay.from_estimator(detector, X_test, index=row, ax=ax)
    ax.set_title(f"a typical {name} beat")

# %%
# Choosing the threshold
# ----------------------
# The mean + 1 std rule flags a few percent of the normal training beats by
# construction, which costs accuracy on normal test beats. A threshold chosen on the
# training data with labels usually does better: ``contamination``, ``threshold`` and
# ``n_std`` are ordinary parameters, so ``GridSearchCV`` searches them, and with
# ``memory`` set it trains one network per fold instead of one per setting. See
# :ref:`sphx_glr_auto_examples_tabular_plot_threshold_grid_search.py` and
# :doc:`/thresholds`.
