"""ECG5000 walkthrough with the detector's library defaults.

    python benchmarks/ecg_defaults.py [--random-state 0]

Trains ``make_pipeline(StandardScaler(), ReconstructionOutlierDetector(random_state=0))`` on
the normal beats of the walkthrough's seed split (``test_size=0.2, random_state=21``) and
prints, on the whole test split, the ROC-AUC of ``score_samples`` with normal beats as the
positive class (target >= 0.995) and the accuracy of ``predict`` (+1 = normal; target >= 0.98).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from sklearn.metrics import accuracy_score, roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skae import ReconstructionOutlierDetector
from skae.datasets import load_ecg5000


def main(argv: list[str] | None = None) -> int:
    """Fit on the normal training beats and print the test ROC-AUC and accuracy."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--random-state", type=int, default=0)
    args = parser.parse_args(argv)

    X, normal = load_ecg5000(return_X_y=True)
    normal = np.asarray(normal).astype(int)
    X_train, X_test, normal_train, normal_test = train_test_split(
        X, normal, test_size=0.2, random_state=21
    )
    pipe = make_pipeline(
        StandardScaler(), ReconstructionOutlierDetector(random_state=args.random_state)
    )
    start = time.perf_counter()
    pipe.fit(X_train[normal_train == 1])
    scores = pipe.score_samples(X_test)
    predicted_normal = (pipe.predict(X_test) == 1).astype(int)
    elapsed = time.perf_counter() - start
    auc = roc_auc_score(normal_test, scores)
    accuracy = accuracy_score(normal_test, predicted_normal)
    ok = auc >= 0.995 and accuracy >= 0.98
    print(f"ECG5000 defaults (random_state={args.random_state}): ROC-AUC {auc:.4f} "
          f"(target >= 0.995), accuracy {accuracy:.4f} (target >= 0.98), "
          f"fit+score {elapsed:.1f}s -> {'OK' if ok else 'BELOW TARGET'}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
