"""The scope a page shows: a region (or everything the account may see), a period and a language.

Plain data, no Streamlit: `frame.scope_filter` builds it from the sidebar and the URL; view models take it.
"""
from __future__ import annotations

from dataclasses import dataclass

from . import periods

LEVEL_CHILD = {"all": "province", "province": "prefecture", "prefecture": "county", "county": None}


@dataclass(frozen=True)
class Scope:
    region: str            # six-digit code, '' = everything in scope
    name: str              # what to call it in a title
    level: str             # all | province | prefecture | county
    period: periods.Period
    lang: str
    first_year: int
    last_year: int
    province: str
    prefecture: str
    county: str

    @property
    def child_level(self) -> str | None:
        return LEVEL_CHILD[self.level]

    @property
    def year(self) -> int:
        return self.period.end.year

    def params(self) -> dict:
        return {"region": self.region, "start": self.period.start, "end": self.period.end}
