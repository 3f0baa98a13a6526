"""Pure functions from mart DataFrames to the tables and Plotly figures the dashboards show.

Nothing here does I/O or knows about languages: callers pass the words (:class:`ChartText`) and the
language whose region names to use. The maps are drawn on plain axes (longitude, latitude), so they
need no map tiles or topojson from the internet, unlike ``scatter_map``/``scatter_geo``.
"""

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd
import plotly.graph_objects as go

# The order of the stack and the legend; types the mart may add later follow, alphabetically.
PARTICIPANT_TYPES = ("MANUFACTURER", "IMPORTER", "WHOLESALER", "RETAILER", "EXPORTER")
TYPE_COLOURS = {
    "MANUFACTURER": "#1f5f8b",
    "IMPORTER": "#e07b00",
    "WHOLESALER": "#2a9d8f",
    "RETAILER": "#8e5ea2",
    "EXPORTER": "#c0392b",
}
REGION_NAME_LANGUAGES = ("kk", "ru", "en")


@dataclass(frozen=True)
class ChartText:
    """The words of a chart in one language."""

    title: str
    region: str
    count: str
    participant_type: str
    type_names: Mapping[str, str] = field(default_factory=dict)
    separators: str = ", "  # decimal mark, then thousands mark
    longitude: str = "lon"
    latitude: str = "lat"


def with_region_name(frame: pd.DataFrame, language: str) -> pd.DataFrame:
    """``frame`` plus ``region_name`` in ``language``, falling back to Russian, Kazakh, the KATO code."""
    order = [language, *(lang for lang in ("ru", "kk", "en") if lang != language)]
    name = pd.Series(pd.NA, index=frame.index, dtype="object")
    for lang in order:
        column = f"region_name_{lang}"
        if column in frame:
            candidate = frame[column].astype("object").where(frame[column].fillna("").str.strip() != "")
            name = name.fillna(candidate)
    return frame.assign(region_name=name.fillna(frame["region_kato"]).astype(str))


def ordered_types(frame: pd.DataFrame) -> list[str]:
    present = set(frame["participant_type"])
    return [t for t in PARTICIPANT_TYPES if t in present] + sorted(present - set(PARTICIPANT_TYPES))


def region_summary(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per region (KATO order): its name, a column per participant type, total and active.

    ``frame`` must carry ``region_name`` (see :func:`with_region_name`).
    """
    types = ordered_types(frame)
    by_type = frame.pivot_table(
        index=["region_kato", "region_name"],
        columns="participant_type",
        values="participants_total",
        aggfunc="sum",
        fill_value=0,
    ).reindex(columns=types, fill_value=0)
    totals = frame.groupby(["region_kato", "region_name"])[["participants_total", "participants_active"]].sum()
    summary = by_type.join(totals).reset_index().sort_values("region_kato", kind="stable")
    summary.columns.name = None
    return summary.reset_index(drop=True)


def participants_by_region_bar(frame: pd.DataFrame, text: ChartText) -> go.Figure:
    """Horizontal bars of participants per region, stacked by participant type, largest region on top."""
    totals = frame.groupby("region_name")["participants_total"].sum().sort_values(kind="stable")
    regions = list(totals.index)
    figure = go.Figure()
    for participant_type in ordered_types(frame):
        counts = (
            frame[frame["participant_type"] == participant_type]
            .groupby("region_name")["participants_total"]
            .sum()
            .reindex(regions, fill_value=0)
        )
        name = text.type_names.get(participant_type, participant_type)
        figure.add_trace(
            go.Bar(
                x=counts.to_list(),
                y=regions,
                orientation="h",
                name=name,
                marker_color=TYPE_COLOURS.get(participant_type),
                hovertemplate=f"%{{y}}<br>{name}: %{{x:,}}<extra></extra>",
            )
        )
    figure.update_layout(
        title=text.title,
        barmode="stack",
        template="plotly_white",
        separators=text.separators,
        legend_title_text=text.participant_type,
        xaxis_title=text.count,
        yaxis_title=text.region,
        height=max(360, 28 * len(regions) + 160),
        margin={"l": 10, "r": 10, "t": 60, "b": 40},
    )
    figure.update_xaxes(tickformat=",d")
    return figure


def regions_bubble_map(frame: pd.DataFrame, text: ChartText) -> go.Figure | None:
    """Regions as circles at their coordinates, sized by participants; None without coordinates."""
    located = frame.dropna(subset=["region_lat", "region_lon"])
    if located.empty:
        return None
    regions = (
        located.groupby(["region_kato", "region_name"])
        .agg(lat=("region_lat", "first"), lon=("region_lon", "first"), total=("participants_total", "sum"))
        .reset_index()
    )
    largest = max(int(regions["total"].max()), 1)
    sizes = [12 + 38 * math.sqrt(total / largest) for total in regions["total"]]
    figure = go.Figure(
        go.Scatter(
            x=regions["lon"],
            y=regions["lat"],
            mode="markers+text",
            text=regions["region_name"],
            textposition="top center",
            customdata=regions["total"],
            marker={"size": sizes, "color": "#1f5f8b", "opacity": 0.6, "line": {"width": 1, "color": "#fff"}},
            hovertemplate=f"%{{text}}<br>{text.count}: %{{customdata:,}}<extra></extra>",
            showlegend=False,
        )
    )
    # A degree of longitude is shorter than a degree of latitude away from the equator.
    mean_lat = float(regions["lat"].mean())
    figure.update_layout(
        title=text.title,
        template="plotly_white",
        separators=text.separators,
        height=480,
        margin={"l": 10, "r": 10, "t": 60, "b": 40},
        xaxis_title=text.longitude,
        yaxis_title=text.latitude,
    )
    figure.update_yaxes(scaleanchor="x", scaleratio=1 / math.cos(math.radians(mean_lat)))
    return figure
