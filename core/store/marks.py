"""The person's marks on a finished run: a 1-5 star rating and a pick.

They live in metadata.csv's optional ``rating`` and ``picked`` columns
(core/store/format.py EXTRA_COLUMNS, docs/run-store.md): ``rating`` is "1".."5"
or empty, ``picked`` is "true" or empty. Written through
``RunStore.set_extra`` by the rating route, ``comfy-sweep rate`` and nothing
else; read by the contact sheet and by anything that ranks runs (a rating is
a score like any other: ``RunRecord.extra["rating"]``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

MAX_RATING = 5


@dataclass(frozen=True)
class Mark:
    """``rating`` 0 (none) to MAX_RATING; None in an update leaves a field as it is."""

    rating: int | None = None
    picked: bool | None = None

    def extra(self) -> dict[str, str]:
        """The metadata.csv cells to set ("" clears one), only the fields given."""
        cells: dict[str, str] = {}
        if self.rating is not None:
            cells["rating"] = str(self.rating) if self.rating else ""
        if self.picked is not None:
            cells["picked"] = "true" if self.picked else ""
        return cells


def read_rating(extra: Mapping[str, str]) -> int | None:
    """A run's rating from its optional columns; None when unrated (or unreadable)."""
    text = extra.get("rating", "")
    return int(text) if text.isdigit() and 1 <= int(text) <= MAX_RATING else None


def read_picked(extra: Mapping[str, str]) -> bool:
    return extra.get("picked", "") == "true"
