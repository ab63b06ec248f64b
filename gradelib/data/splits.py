"""Names of the dataset splits and their validation."""

from __future__ import annotations

__all__ = ["SPLITS", "check_split"]

#: The three splits every loader provides, in this order.
SPLITS: tuple[str, str, str] = ("train", "val", "test")


def check_split(split: str) -> str:
    """Return ``split`` unchanged, or raise ValueError if it is not train, val or test."""
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}: expected one of {SPLITS}")
    return split
