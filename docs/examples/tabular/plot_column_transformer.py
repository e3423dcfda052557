"""
Mixed column types: a ColumnTransformer on a pandas DataFrame
=============================================================

Real tables mix numbers and categories. skae's estimators take numeric arrays, so put a
:class:`~sklearn.compose.ColumnTransformer` in front: it scales the numeric columns,
one-hot encodes the categorical ones, and the whole :class:`~sklearn.pipeline.Pipeline`
fits, predicts, cross-validates and saves as one object.

The table is made up for this page: card payments with an amount, an hour, a number of
items, a channel and a country, and a few planted odd payments.
"""

# %%
# A table of payments
# -------------------
import numpy as np
import pandas as pd

rng = np.random.default_rng(0)
n = 2000
payments = pd.DataFrame({
    "amount": rng.lognormal(3.5, 0.6, n).round(2),
    "hour": rng.normal(14, 3, n).clip(0, 23).round(),
    "n_items": rng.poisson(3, n) + 1,
    "channel": rng.choice(["web", "store", "phone"], n, p=[0.5, 0.4, 0.1]),
    "country": rng.choice(["FR", "DE", "IT"], n),
})
payments["amount"] += 8 * payments["n_items"]  # amounts grow with the items bought

# 20 odd payments, none extreme in any one column: high amounts for a single item, at
# night, mostly by phone
odd = rng.choice(n, 20, replace=False)
payments.loc[odd, "amount"] = rng.uniform(90, 140, 20).round(2)
payments.loc[odd, "n_items"] = 1
payments.loc[odd, "hour"] = rng.integers(2, 7, 20)
payments.loc[odd, "channel"] = rng.choice(["phone", "web"], 20, p=[0.7, 0.3])
is_odd = np.isin(np.arange(n), odd)
print(payments.head())

# %%
# The pipeline
# ------------
# ``OneHotEncoder(sparse_output=False)`` gives dense columns: the networks take dense
# input. The detector learns from all rows without labels (the planted ones included),
# as an unsupervised detector usually must.
from sklearn.compose import make_column_transformer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from skae import ReconstructionOutlierDetector

preprocess = make_column_transformer(
    (StandardScaler(), ["amount", "hour", "n_items"]),
    (OneHotEncoder(sparse_output=False, handle_unknown="ignore"), ["channel", "country"]),
)
pipeline = make_pipeline(
    preprocess, ReconstructionOutlierDetector(contamination=0.01, random_state=0)
)
pipeline.fit(payments)
pipeline

# %%
# ``predict`` and ``score_samples`` take a DataFrame with the same columns. Here are the
# payments the pipeline finds least normal:
scores = pipeline.score_samples(payments)
flagged = pipeline.predict(payments) == -1
print(f"{flagged.sum()} payments flagged; {(flagged & is_odd).sum()} of the 20 planted ones")
print(payments.assign(score=scores).nsmallest(8, "score"))

# %%
# How the anomaly scores of the planted payments compare with the others (the scores, on
# the scale of the reconstruction error, are what the threshold applies to):
from sklearn.metrics import roc_auc_score

from skae.plotting import ErrorHistogramDisplay

detector = pipeline[-1]
anomaly = -scores
print(f"ROC-AUC of the scores against the planted labels: {roc_auc_score(~is_odd, scores):.3f}")
display = ErrorHistogramDisplay.from_predictions(
    anomaly, np.where(is_odd, -1, 1), threshold=detector.threshold_,
    bins=np.geomspace(anomaly.min(), anomaly.max(), 40),
    error_label="anomaly score (-score_samples)",
)
display.ax_.set_xscale("log")

# %%
# The reconstruction errors by channel (the autoencoders' view of the rows):
errors = detector.reconstruction_error(pipeline[:-1].transform(payments))
print(pd.Series(errors, index=payments.index).groupby(payments["channel"]).median().round(2))

# %%
# Payments by phone, a rare category (10% of the rows), are reconstructed worse than the
# others, and the detector's ``error_normalization`` magnifies it: it divides each
# column's error by that column's typical (median) training error, and for the one-hot
# column of a rare category the typical error is tiny, since most rows hold a 0 there
# that is easy to reconstruct. Tables with one-hot columns are worth checking with
# ``error_normalization=False``, which weighs every column's error alike (the numeric
# columns are standardised already):
from sklearn.base import clone

plain = clone(pipeline).set_params(reconstructionoutlierdetector__error_normalization=False)
plain_scores = plain.fit(payments).score_samples(payments)
plain_errors = plain[-1].reconstruction_error(plain[:-1].transform(payments))
print(f"ROC-AUC with error_normalization=False: {roc_auc_score(~is_odd, plain_scores):.3f}")
print(pd.Series(plain_errors, index=payments.index).groupby(payments["channel"]).median()
      .round(2))

# %%
# Whether a rare category should count as unusual in itself depends on the use. If it
# should not, group rare categories (``OneHotEncoder(min_frequency=...)``) or score each
# category separately.

# %%
# New rows, saved pipelines
# -------------------------
# The fitted pipeline scores new payments, with categories it never saw ignored by the
# encoder (``handle_unknown="ignore"``):
new = pd.DataFrame({"amount": [45.0, 130.0], "hour": [13, 3], "n_items": [2, 1],
                    "channel": ["web", "phone"], "country": ["ES", "FR"]})
print(pipeline.predict(new))

# %%
# The same preprocessing works in front of :class:`~skae.AutoencoderTransformer` to
# compress a mixed table into a few numeric columns; with ``set_output(transform="pandas")``
# the codes come back as a DataFrame with named columns.
from skae import AutoencoderTransformer

reducer = make_pipeline(
    preprocess, AutoencoderTransformer(n_components=3, epochs=20, random_state=0)
).set_output(transform="pandas")
print(reducer.fit_transform(payments).head())

# %%
# A pipeline pickles like any scikit-learn object (``joblib.dump``); only load pickles
# you trust. See :doc:`/persistence` for skae's own file format, which never runs code
# from the file.
