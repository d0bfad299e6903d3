"""Independent, reproducible random streams: one per named component."""

from __future__ import annotations

import zlib

import numpy as np


def stream(seed: int, name: str) -> np.random.Generator:
    """A generator seeded by ``seed`` and the component ``name``.

    Components draw from their own streams so that changing one part of the generator does not
    shift the random numbers of another.
    """
    return np.random.default_rng(np.random.SeedSequence([seed, zlib.crc32(name.encode())]))


def zipf_weights(n: int, exponent: float = 0.8) -> np.ndarray:
    """Normalized Zipf-like weights for a frequency-ordered list of ``n`` items."""
    w = 1.0 / np.arange(1, n + 1) ** exponent
    return w / w.sum()


def pick(rng: np.random.Generator, items: tuple[str, ...] | list[str], size: int,
         weights: np.ndarray | None = None) -> np.ndarray:
    """Draw ``size`` items (object array) with optional weights."""
    arr = np.array(items, dtype=object)
    return arr[rng.choice(len(arr), size=size, p=weights)]
