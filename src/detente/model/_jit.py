"""The compile decorators every kernel of :mod:`detente.model` uses."""

from __future__ import annotations

from numba import njit

kernel = njit(cache=True, nogil=True, error_model="numpy")
# a small function called in a kernel's innermost loop, compiled into its caller (no call overhead)
inner = njit(cache=True, nogil=True, error_model="numpy", inline="always")
