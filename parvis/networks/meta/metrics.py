"""Graph insight metric names, as data: Meta renames and removes them (NETWORKS.md §1.6, §2.6, §11.5).

Each Parvis figure lists the Graph names that may carry it, newest first; the first one the API returns
wins. An installation can add or replace names without a code change through PARVIS_META_METRICS, a JSON
object such as {"facebook_page": {"views": ["page_media_view"]}}. A figure Graph does not return stays
absent (never zero); a name Graph calls invalid (code 100) is dropped for the rest of the process.
"""

from __future__ import annotations

import json
import os
import threading

from .. import errors

METRICS: dict[str, dict[str, tuple[str, ...]]] = {
    # Page level, period=day. page_fans → page_follows and impressions → views on 15 Nov 2025.
    "facebook_page": {
        "follows": ("page_follows",),
        "new_follows": ("page_daily_follows_unique",),
        "views": ("page_media_view",),
        "reach": ("page_total_media_view_unique",),
        "engagements": ("page_post_engagements",),
        "video_views": ("page_video_views",),
    },
    "facebook_post": {
        "views": ("post_media_view",),
        "reach": ("post_total_media_view_unique",),
        "reactions": ("post_reactions_by_type_total",),
        "clicks": ("post_clicks",),
        "video_views": ("post_video_views",),
    },
    # Instagram account, metric_type=total_value. `impressions` was removed on 21 Apr 2025: use `views`.
    "instagram_account": {
        "views": ("views",),
        "reach": ("reach",),
        "engagements": ("accounts_engaged",),
        "interactions": ("total_interactions",),
    },
    "instagram_media": {
        "views": ("views",),
        "reach": ("reach",),
        "saved": ("saved",),
        "shares": ("shares",),
        "likes": ("likes",),
        "comments": ("comments",),
        "interactions": ("total_interactions",),
    },
}

# Object fields read next to insights: Graph field → Parvis figure.
FIELDS: dict[str, dict[str, str]] = {
    "facebook_page": {"followers_count": "followers", "fan_count": "likes"},
    "instagram_account": {"followers_count": "followers", "follows_count": "following", "media_count": "posts"},
    "instagram_media": {"like_count": "likes", "comments_count": "comments"},
}

_invalid: set[tuple[str, str]] = set()  # (kind, Graph name)
_invalid_lock = threading.Lock()


def metric_table(kind: str) -> dict[str, tuple[str, ...]]:
    table = dict(METRICS[kind])
    raw = os.environ.get("PARVIS_META_METRICS", "")
    if raw:
        try:
            override = json.loads(raw).get(kind) or {}
        except (ValueError, AttributeError):
            override = {}
        for figure, names in override.items():
            table[figure] = (names,) if isinstance(names, str) else tuple(names)
    return table


def insight_value(row: dict) -> float | None:
    """The figure of one insights row: `total_value.value`, else the last of `values`; None when empty.

    A dict value (reactions by type) is summed.
    """
    value = None
    if isinstance(row.get("total_value"), dict):
        value = row["total_value"].get("value")
    elif row.get("values"):
        last = row["values"][-1]
        value = last.get("value") if isinstance(last, dict) else None
    if isinstance(value, dict):
        numbers = [v for v in value.values() if isinstance(v, int | float) and not isinstance(v, bool)]
        return float(sum(numbers)) if numbers else None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None


def map_insights(rows: list[dict], table: dict[str, tuple[str, ...]]) -> dict[str, float]:
    by_name = {}
    for row in rows:
        if isinstance(row, dict) and row.get("name") and (value := insight_value(row)) is not None:
            by_name[row["name"]] = value
    figures = {}
    for figure, names in table.items():
        for name in names:
            if name in by_name:
                figures[figure] = by_name[name]
                break
    return figures


def map_fields(obj: dict, kind: str) -> dict[str, float]:
    return {
        figure: float(obj[field]) for field, figure in FIELDS.get(kind, {}).items()
        if isinstance(obj.get(field), int | float) and not isinstance(obj.get(field), bool)
    }


def fetch_insights(graph, object_id: str, kind: str, params: dict | None = None) -> dict[str, float]:
    """Ask every known name at once; when Graph refuses the set (code 100: a removed metric), ask them one
    by one and remember the refused ones."""
    table = metric_table(kind)
    names = [n for names in table.values() for n in names if (kind, n) not in _invalid]
    if not names:
        return {}
    try:
        rows = graph.get(f"{object_id}/insights", {**(params or {}), "metric": ",".join(names)}).get("data") or []
    except errors.Permanent as exc:
        if getattr(exc, "graph_code", None) != 100 or len(names) == 1:
            if getattr(exc, "graph_code", None) == 100:
                with _invalid_lock:
                    _invalid.update((kind, n) for n in names)
                return {}
            raise
        rows = []
        for name in names:
            try:
                rows += graph.get(f"{object_id}/insights", {**(params or {}), "metric": name}).get("data") or []
            except errors.Permanent as one:
                if getattr(one, "graph_code", None) != 100:
                    raise
                with _invalid_lock:
                    _invalid.add((kind, name))
    return map_insights(rows, table)
