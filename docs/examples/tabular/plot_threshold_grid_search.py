"""
Choosing a threshold with labels: GridSearchCV
==============================================

:class:`~skae.ReconstructionOutlierDetector` ranks rows by reconstruction error; its
threshold decides which of them ``predict`` flags. When some labelled rows are available,
choose the threshold as any other hyper-parameter, with ``GridSearchCV`` and one of
scikit-learn's scorers, and check it on rows the search never saw.

The table here is scikit-learn's breast cancer data set (569 tumours, 30 measurements
each): benign tumours are the normal rows, malignant ones the outliers.
"""

# %%
# Labels in scikit-learn's outlier convention
# -------------------------------------------
# Outlier detectors in scikit-learn label normal rows +1 and outliers -1. The data set
# labels benign tumours 1 and malignant ones 0, so map them. (Other sources use other
# encodings: see :doc:`/outlier_detection`.)
import numpy as np
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import train_test_split

X, benign = load_breast_cancer(return_X_y=True)
y = np.where(benign == 1, 1, -1)  # +1 normal, -1 outlier
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.3, stratify=y, random_state=0
)
print(f"training rows: {len(y_train)}, of which {int((y_train == -1).sum())} outliers")

# %%
# The search
# ----------
# - ``normal_label=1``: each fit trains the network on the fold's normal rows only, while
#   the scorer evaluates every row of the validation fold.
# - ``scoring="balanced_accuracy"`` reads ``predict``, so it depends on the threshold.
#   (``"roc_auc"`` reads the scores, which a threshold only shifts: it compares networks,
#   not thresholds.)
# - ``StratifiedKFold`` with shuffling puts outliers in every fold; ``cv=3`` alone would
#   be an unshuffled ``KFold``, because a detector is not a classifier.
# - ``memory``: fits that differ only in threshold parameters reuse the cached network,
#   so 8 settings x 3 folds train 3 + 1 networks instead of 25.
import tempfile
from pathlib import Path

from sklearn.model_selection import GridSearchCV, StratifiedKFold

from skae import ReconstructionOutlierDetector

cache = tempfile.mkdtemp()
search = GridSearchCV(
    ReconstructionOutlierDetector(normal_label=1, random_state=0, memory=cache),
    [
        {"contamination": [0.01, 0.02, 0.05, 0.1]},
        {"contamination": ["auto"], "threshold": ["mean_std", "median_mad"],
         "n_std": [2.0, 3.0]},
    ],
    scoring="balanced_accuracy",
    cv=StratifiedKFold(3, shuffle=True, random_state=0),
)
search.fit(X_train, y_train)
n_networks = len(list(Path(cache, "skae-networks").glob("*.keras")))
print(f"{len(search.cv_results_['params'])} settings x 3 folds: {n_networks} networks trained")
print("best:", search.best_params_, f"balanced accuracy {search.best_score_:.3f}")

# %%
# Every setting's cross-validated score:
import pandas as pd

results = pd.DataFrame(search.cv_results_)
results["setting"] = [
    ", ".join(f"{k}={v}" for k, v in params.items()) for params in results["params"]
]
results = results.set_index("setting")[["mean_test_score", "std_test_score"]]
print(results.sort_values("mean_test_score", ascending=False).round(3))

# %%
import matplotlib.pyplot as plt

fig, ax = plt.subplots(figsize=(8, 4), layout="constrained")
results["mean_test_score"].plot.barh(xerr=results["std_test_score"], ax=ax)
ax.set_xlim(0.5, 1)
ax.set_xlabel("balanced accuracy (3-fold mean and std)")
ax.set_ylabel("")

# %%
# On the held-out rows
# --------------------
# ``search`` was refitted on all training rows with the best setting; the test rows were
# never used to choose it. ``decision_function`` is negative exactly for the flagged rows.
from sklearn.metrics import balanced_accuracy_score, confusion_matrix, roc_auc_score

best = search.best_estimator_
predicted = best.predict(X_test)
print(f"balanced accuracy {balanced_accuracy_score(y_test, predicted):.3f}")
print(f"ROC-AUC           {roc_auc_score(y_test, best.decision_function(X_test)):.3f}")
print(pd.DataFrame(confusion_matrix(y_test, predicted, labels=[1, -1]),
                   index=["normal", "outlier"], columns=["predicted +1", "predicted -1"]))

# %%
# Moving the threshold of a fitted detector
# -----------------------------------------
# ``fit_threshold`` applies the current threshold parameters to a fitted network without
# training it again:
best.set_params(contamination=0.02).fit_threshold(X_train, y_train)
print(f"with contamination=0.02: {(best.predict(X_test) == -1).sum()} test rows flagged")
