"""Moderation of citizens' comments by the authority's charter: a pure, rule-based classifier."""

from parvis.domain.moderation.classify import (
    ACTIONS,
    DEFAULT_ACTIONS,
    HIDE_LABELS,
    LABELS,
    Verdict,
    classify,
)

__all__ = ["ACTIONS", "DEFAULT_ACTIONS", "HIDE_LABELS", "LABELS", "Verdict", "classify"]
