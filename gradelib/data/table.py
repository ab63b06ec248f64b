"""The Markdown table of the dataset specs shown in ``datasets/README.md`` (a test keeps them equal)."""

from __future__ import annotations

from collections.abc import Iterable

from gradelib.data.spec import DatasetSpec, PartSpec

__all__ = ["specs_markdown_table"]

_HEADER = (
    "| spec | images (C, H, W) | grey levels | binarisation seed (part) | split seed: part -> splits "
    "| offline | cache file | source |\n"
    "| --- | --- | --- | --- | --- | --- | --- | --- |"
)


def _part_split(part: PartSpec) -> str:
    sizes = " / ".join(f"{split} {size:,}" for split, size in zip(part.splits, part.sizes, strict=False))
    seed = "stored order" if part.split_seed is None else str(part.split_seed)
    return f"{seed}: {part.name} -> {sizes}"


def _row(spec: DatasetSpec) -> str:
    cells = [
        f"`{spec.name}`",
        str(spec.image_shape),
        f"raw / {spec.grey_max:g} ({spec.grey_dtype})",
        ", ".join(f"{part.binarize_seed} ({part.name})" for part in spec.parts),
        "; ".join(_part_split(part) for part in spec.parts),
        "yes" if spec.offline else "no",
        f"`{spec.cache_file}`",
        spec.citation,
    ]
    return "| " + " | ".join(cells) + " |"


def specs_markdown_table(specs: Iterable[DatasetSpec] | None = None) -> str:
    """One Markdown table, a row per spec (default: all of :func:`gradelib.data.catalog.dataset_specs`)."""
    if specs is None:
        from gradelib.data.catalog import dataset_specs

        specs = dataset_specs()
    return "\n".join([_HEADER, *(_row(spec) for spec in specs)])
