"""The one compile decorator every kernel of :mod:`detente.model` uses."""

from __future__ import annotations

from numba import njit

kernel = njit(cache=True, nogil=True, error_model="numpy")
