"""Region containment, the one home of "is this region the scope itself or one of its sub-regions".

A region's lineage is its own code with its prefecture's and its province's (a county: county, prefecture,
province; a prefecture: itself and its province; a province: itself). A region is within a scope when the scope is
in its lineage. The empty scope ('') is everything: every region is within it. A code with no lineage (unknown to
the region tree) is within no other scope.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping

Lineages = Mapping[str, tuple[str, ...]]


def lineages(rows: Iterable[tuple[str, str | None, str | None]]) -> dict[str, tuple[str, ...]]:
    """code -> lineage, from (code, prefecture_code, province_code) rows of the region tree."""
    return {code: tuple(x for x in (code, prefecture, province) if x) for code, prefecture, province in rows}


def within(region: str, scope: str, tree: Lineages) -> bool:
    """Is `region` the scope itself or one of its sub-regions, in the region tree `tree`?"""
    return not scope or scope in tree.get(region, ())
