"""Warhead designs validated by nuclear tests (vectorised numpy).

Future nuclear tests happen as the material model has them (a test in month ``i`` where tests are
allowed and the month's shared uniform falls below the sample's monthly test chance) and go to the
profile's designs in order: design ``d`` is validated once the tests so far reach the sum of the
tests needed by it and by the designs before it (a design needing none is validated already). A
missile class is armed from the first month a validated design can arm it.
"""

from __future__ import annotations

import numpy as np

from .missiles import NEVER_ARMED, Arming


def test_months(allowed: np.ndarray, uniforms: np.ndarray, chance: np.ndarray) -> np.ndarray:
    """(M, n) bool: a nuclear test in each month from the branch (``allowed`` (M, n) the deal's
    test row, ``uniforms`` (M, n) the shared test uniforms, ``chance`` (n,) per month)."""
    return (allowed != 0) & (uniforms < chance)


def validated_from(tests: np.ndarray, needed: np.ndarray, requires: tuple[tuple[int, ...], ...] = ()) -> np.ndarray:
    """(D, n) int64 month index (from the branch) each design is validated, ``NEVER_ARMED`` if not
    within the run; ``needed`` (D, n) further tests each design needs, in the order tests go;
    ``requires[d]`` the earlier designs ``d`` builds on (validated no sooner than they are)."""
    n = tests.shape[1]
    own = np.rint(needed).astype(np.int64)
    target = np.cumsum(own, axis=0)  # the k-th test validates the design needing the k-th in turn
    samples, months = np.nonzero(tests.T)  # every test, by sample then month
    count = np.bincount(samples, minlength=n)
    first = np.cumsum(count) - count  # where each sample's tests start in `months`
    out = np.full(target.shape, NEVER_ARMED, dtype=np.int64)
    for d in range(target.shape[0]):
        reached = count >= target[d]
        at = np.where(reached, first + target[d] - 1, 0)
        month = months[at] if months.size else np.zeros(n, dtype=np.int64)
        out[d] = np.where(own[d] == 0, 0, np.where(reached, month, NEVER_ARMED))
        for base in requires[d] if d < len(requires) else ():
            np.maximum(out[d], out[base], out=out[d])
    return out


def arming(validated: np.ndarray, enables: np.ndarray, per_missile: np.ndarray) -> Arming:
    """The missile kernel's arming from designs validated at ``validated`` (D, n); ``enables``
    (D, C) bool which classes each design arms, ``per_missile`` (D, n) its warheads per missile.
    With no designs every class is armed throughout, one warhead per missile."""
    n_d, n_c = enables.shape
    n = validated.shape[1]
    armed = np.full((n_c, n), 0 if n_d == 0 else NEVER_ARMED, dtype=np.int64)
    multi = np.full((n_c, n), NEVER_ARMED, dtype=np.int64)
    k = np.ones((n_c, n))
    for d in range(n_d):
        for c in np.flatnonzero(enables[d]):
            np.minimum(armed[c], validated[d], out=armed[c])
            several = per_missile[d] > 1.0
            sooner = several & (validated[d] < multi[c])
            multi[c] = np.where(sooner, validated[d], multi[c])
            k[c] = np.where(sooner, per_missile[d], k[c])
    return Arming(armed_from=armed, multi_from=multi, multi_k=k)
