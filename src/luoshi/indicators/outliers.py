"""Outlier detection by the modified z-score (Iglewicz and Hoaglin), pure.

For a value ``x`` compared with reference values ``r`` (the unit's own earlier periods, or the
same period's values of peer units):

    M = 0.6745 · (x − median(r)) / MAD(r),   MAD = median(|r − median(r)|)

and ``|M| > 3.5`` marks an outlier. When more than half the reference values are equal the MAD
is 0; the mean absolute deviation is used instead (``M = (x − median) / (1.253314 · MeanAD)``),
and when every reference value is equal, any different ``x`` is an outlier. At least
``MIN_REFERENCE`` reference values are needed; with fewer nothing is said.
"""

from __future__ import annotations

from collections.abc import Sequence
from statistics import median

THRESHOLD = 3.5
MIN_REFERENCE = 4


def modified_z(x: float, reference: Sequence[float]) -> float | None:
    """The modified z-score of ``x`` against ``reference``; ``None`` if there is too little to compare."""
    if len(reference) < MIN_REFERENCE:
        return None
    med = median(reference)
    deviations = [abs(r - med) for r in reference]
    mad = median(deviations)
    if mad > 0:
        return 0.6745 * (x - med) / mad
    mean_ad = sum(deviations) / len(deviations)
    if mean_ad > 0:
        return (x - med) / (1.253314 * mean_ad)
    if x == med:
        return 0.0
    return float("inf") if x > med else float("-inf")


def is_outlier(x: float, reference: Sequence[float], threshold: float = THRESHOLD) -> bool:
    z = modified_z(x, reference)
    return z is not None and abs(z) > threshold
