"""Figures and tables of the dashboards, from DataFrames shaped like the marts (no database)."""

import math

import pandas as pd
import pytest

from dashboards import figures

TEXT = figures.ChartText(
    title="Participants",
    region="Region",
    count="Participants",
    participant_type="Type",
    type_names={"MANUFACTURER": "Manufacturers", "RETAILER": "Retailers"},
)


def mart(*rows: tuple[str, str | None, str | None, float | None, str, int, int]) -> pd.DataFrame:
    """Rows of (kato, name_kk, name_ru, lat, type, total, active); lon = lat + 20, no English names."""
    return pd.DataFrame(
        [
            {
                "region_kato": kato,
                "region_name_kk": kk,
                "region_name_ru": ru,
                "region_name_en": None,
                "region_lat": lat,
                "region_lon": None if lat is None else lat + 20,
                "participant_type": participant_type,
                "participants_total": total,
                "participants_active": active,
            }
            for kato, kk, ru, lat, participant_type, total, active in rows
        ]
    )


FRAME = mart(
    ("750000000", "Алматы", "Алматы", 43.2, "RETAILER", 50, 40),
    ("750000000", "Алматы", "Алматы", 43.2, "MANUFACTURER", 5, 5),
    ("470000000", "Маңғыстау облысы", "Мангистауская область", 43.6, "RETAILER", 7, 6),
    ("470000000", "Маңғыстау облысы", "Мангистауская область", 43.6, "CUSTOMS_BROKER", 1, 0),
    ("000000000", None, "Не определён", None, "RETAILER", 2, 1),
)


def test_region_names_follow_the_language_with_fallbacks() -> None:
    assert list(figures.with_region_name(FRAME, "kk")["region_name"].unique()) == [
        "Алматы",
        "Маңғыстау облысы",
        "Не определён",  # no Kazakh name: the Russian one
    ]
    assert "Мангистауская область" in set(figures.with_region_name(FRAME, "en")["region_name"])
    nameless = FRAME.assign(region_name_kk="", region_name_ru=None)
    assert set(figures.with_region_name(nameless, "kk")["region_name"]) == {
        "750000000",
        "470000000",
        "000000000",
    }


def test_bar_chart_stacks_types_in_a_fixed_order_largest_region_on_top() -> None:
    figure = figures.participants_by_region_bar(figures.with_region_name(FRAME, "ru"), TEXT)
    assert [trace.name for trace in figure.data] == ["Manufacturers", "Retailers", "CUSTOMS_BROKER"]
    assert figure.layout.barmode == "stack"
    assert list(figure.data[1].y)[-1] == "Алматы"
    assert dict(zip(figure.data[1].y, figure.data[1].x, strict=True)) == {
        "Не определён": 2,
        "Мангистауская область": 7,
        "Алматы": 50,
    }
    assert figure.layout.separators == ", "


def test_bubble_map_needs_coordinates_and_sizes_by_total() -> None:
    named = figures.with_region_name(FRAME, "kk")
    figure = figures.regions_bubble_map(named, TEXT)
    assert figure is not None
    (trace,) = figure.data
    assert list(trace.text) == ["Маңғыстау облысы", "Алматы"]
    assert list(trace.customdata) == [8, 55]
    assert trace.marker.size[1] > trace.marker.size[0]
    assert figure.layout.yaxis.scaleratio == pytest.approx(1 / math.cos(math.radians(43.4)))
    assert figures.regions_bubble_map(named.assign(region_lat=None), TEXT) is None


def test_region_summary_has_a_column_per_type_and_totals() -> None:
    summary = figures.region_summary(figures.with_region_name(FRAME, "ru"))
    assert list(summary.columns) == [
        "region_kato",
        "region_name",
        "MANUFACTURER",
        "RETAILER",
        "CUSTOMS_BROKER",
        "participants_total",
        "participants_active",
    ]
    assert list(summary["region_kato"]) == ["000000000", "470000000", "750000000"]
    almaty = summary.set_index("region_kato").loc["750000000"]
    assert (almaty["MANUFACTURER"], almaty["RETAILER"], almaty["CUSTOMS_BROKER"]) == (5, 50, 0)
    assert (almaty["participants_total"], almaty["participants_active"]) == (55, 45)
