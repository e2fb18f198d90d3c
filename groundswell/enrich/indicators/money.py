"""(being written)"""

from __future__ import annotations

from groundswell.enrich.indicators.base import Extractor

EXTRACTORS: list[Extractor] = []
