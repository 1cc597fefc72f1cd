"""How the figures are shown: labels, numbers in the user's language, chart data, CSV rows.

Charts are drawn by static/js/reports.js (Chart.js, vendored) from the JSON built here; each
has a text summary for its canvas's aria-label, and the table beside it is the full
equivalent. The CSV has one row per figure: section, item, label, measure, value.
"""

from __future__ import annotations

from collections.abc import Iterator

from flask_babel import format_decimal, format_percent
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from hub.accounts.models import Department
from hub.i18n import current_language
from hub.reports.figures import BUCKETS, QA_BANDS, Report
from hub.reports.quality import Index, QualityReport

CHANNEL_LABELS = {
    "webchat": _l("Web chat"), "sms": _l("SMS"), "callback": _l("Callback"),
    "booking": _l("Booking"), "form": _l("Form"),
}
METRIC_LABELS = {
    "first_response": _l("First response"), "wait": _l("Wait to be answered"),
    "handling": _l("Handling"),
}
BUCKET_LABELS = (_l("under 1 min"), _l("1–2 min"), _l("2–5 min"), _l("5–10 min"),
                 _l("10–30 min"), _l("30 min or more"))
BUCKET_TICKS = ("< 1", "1–2", "2–5", "5–10", "10–30", "30+")  # minutes, under the bars
BAND_LABELS = (_l("under 60%"), _l("60–70%"), _l("70–80%"), _l("80–90%"), _l("at least 90%"))
PART_LABELS = {
    "csat": _l("Online ratings (CSAT)"), "office": _l("Office visit ratings"),
    "mystery": _l("Mystery-shopper reviews"),
}
REVIEW_KIND_LABELS = {"reactive": _l("Reactive reviews"), "mystery": _l("Mystery-shopper reviews")}
STAR_LABELS = {1: _l("1 star"), 2: _l("2 stars"), 3: _l("3 stars"), 4: _l("4 stars"),
               5: _l("5 stars")}
DASH = "—"

assert len(BUCKET_LABELS) == len(BUCKETS) and len(BAND_LABELS) == len(QA_BANDS)


# -- numbers ------------------------------------------------------------------------------


def percent(value: float | None) -> str:
    """0.25 → "25.0%" (in the user's language); "—" for no value."""
    return DASH if value is None else format_percent(value, "#,##0.0%")


def number(value: float | None, pattern: str = "#,##0.00") -> str:
    return DASH if value is None else format_decimal(value, pattern)


def duration(seconds: float | None) -> str:
    """A time for people: "45 s", "2 min 5 s", "1 h 5 min"."""
    if seconds is None:
        return DASH
    whole = max(0, round(seconds))
    if whole < 60:
        return _("%(seconds)s s", seconds=whole)
    if whole < 3600:
        if whole % 60 == 0:
            return _("%(minutes)s min", minutes=whole // 60)
        return _("%(minutes)s min %(seconds)s s", minutes=whole // 60, seconds=whole % 60)
    if whole % 3600 // 60 == 0:
        return _("%(hours)s h", hours=whole // 3600)
    return _("%(hours)s h %(minutes)s min", hours=whole // 3600, minutes=whole % 3600 // 60)


def department_label(departments: list[Department], code: str) -> str:
    found = next((d for d in departments if d.code == code), None)
    return found.name(current_language()) if found else code


def channel_label(channel: str) -> str:
    return str(CHANNEL_LABELS.get(channel, channel))


# -- charts -------------------------------------------------------------------------------


def _chart(title: str, labels: list[str], values: list[float | None], texts: list[str], *,
           unit: str = "count", horizontal: bool = False, axis: str = "",
           mark: float | None = None, mark_label: str = "", full_scale: bool = False,
           ticks: list[str] | None = None, category_axis: str = "") -> dict:
    """One bar chart's data for reports.js; `summary` is its canvas's aria-label.

    full_scale: a percentage axis from 0 to 100 (else it ends a little above the largest
    bar); ticks: shorter names under the bars (the summary and tooltips keep the labels).
    """
    pairs = "; ".join(f"{label}: {text}" for label, text in zip(labels, texts, strict=True))
    summary = _("Bar chart, %(title)s. %(pairs)s.", title=title, pairs=pairs)
    if mark is not None:
        summary += " " + mark_label
    return {
        "title": title, "labels": labels, "values": values, "texts": texts, "unit": unit,
        "horizontal": horizontal, "axis": axis, "mark": mark, "mark_label": mark_label,
        "summary": summary, "full_scale": full_scale, "ticks": ticks or labels,
        "category_axis": category_axis,
        "empty": not any(v for v in values if v is not None),
    }


def report_charts(report: Report) -> dict[str, dict]:
    deps = report.departments
    contacts = _("Contacts")
    charts = {
        "channels": _chart(
            _("contacts by channel"), [channel_label(v.key) for v in report.by_channel],
            [v.contacts for v in report.by_channel],
            [str(v.contacts) for v in report.by_channel], axis=contacts),
        "departments": _chart(
            _("contacts by department"),
            [department_label(deps, v.key) for v in report.by_department],
            [v.contacts for v in report.by_department],
            [str(v.contacts) for v in report.by_department], horizontal=True, axis=contacts),
        "sla": _chart(
            _("share answered within target, by department"),
            [department_label(deps, v.key) for v in report.by_department],
            [_hundred(v.sla_share) for v in report.by_department],
            [percent(v.sla_share) for v in report.by_department],
            unit="percent", horizontal=True, axis=_("Answered within target"), full_scale=True),
        "abandonment": _chart(
            _("abandonment rate by department"),
            [department_label(deps, v.key) for v in report.by_department],
            [_hundred(v.abandonment_rate) for v in report.by_department],
            [percent(v.abandonment_rate) for v in report.by_department],
            unit="percent", horizontal=True, axis=_("Abandoned")),
        "csat": _chart(
            _("resident ratings"), [str(STAR_LABELS[s]) for s in range(1, 6)],
            list(report.csat.distribution.values()),
            [_count_share(n, report.csat.ratings) for n in report.csat.distribution.values()],
            axis=_("Ratings")),
        "no_shows": _chart(
            _("no-show rate by department"),
            [department_label(deps, v.key) for v in report.visits],
            [_hundred(v.no_show_rate) for v in report.visits],
            [percent(v.no_show_rate) for v in report.visits],
            unit="percent", horizontal=True, axis=_("No-shows")),
        "qa_bands": _chart(
            _("clerks by quality score"), [str(label) for label in BAND_LABELS],
            report.quality.bands, [str(n) for n in report.quality.bands], axis=_("Clerks")),
    }
    for measure in report.durations:
        charts["times_" + measure.metric] = _chart(
            _("%(measure)s: contacts by time", measure=METRIC_LABELS[measure.metric]),
            [str(label) for label in BUCKET_LABELS], measure.buckets,
            [_count_share(n, measure.count) for n in measure.buckets], axis=contacts,
            ticks=list(BUCKET_TICKS), category_axis=_("Minutes"))
    return charts


def quality_chart(quality: QualityReport) -> dict:
    rows = [i for i in quality.departments if i.value is not None]
    return _chart(
        _("service-quality index by department"),
        [i.department.name(current_language()) for i in rows],
        [_hundred(i.value) for i in rows], [percent(i.value) for i in rows],
        unit="percent", horizontal=True, axis=_("Index"), mark=quality.pass_mark,
        full_scale=True,
        mark_label=_("The dashed line is the pass mark, %(mark)s.",
                     mark=percent(quality.pass_mark / 100)))


def _hundred(value: float | None) -> float | None:
    return None if value is None else round(value * 100, 1)


def _count_share(count: int, whole: int) -> str:
    return f"{count} ({percent(count / whole)})" if whole else str(count)


# -- CSV ----------------------------------------------------------------------------------

CSV_HEADER = ("section", "item", "label", "measure", "value")


def report_rows(report: Report) -> Iterator[tuple]:
    """Every figure of the report as (section, item, label, measure, value); shares are
    percentages with one decimal, times seconds with one decimal, empty when undefined."""
    deps = report.departments
    yield ("period", "", "", "first_day", report.first.isoformat())
    yield ("period", "", "", "last_day", report.last.isoformat())
    yield ("period", "", "", "department", report.department.code if report.department else "")
    for section, rows, label in (
        ("contacts_by_channel", report.by_channel, channel_label),
        ("contacts_by_department", report.by_department, lambda c: department_label(deps, c)),
        ("contacts_total", [report.total], lambda c: ""),
    ):
        for v in rows:
            for measure, value in (
                ("contacts", v.contacts), ("answered", v.answered), ("abandoned", v.abandoned),
                ("abandonment_percent", _csv_percent(v.abandonment_rate)),
                ("in_target", v.in_target), ("counted_for_target", v.counted),
                ("in_target_percent", _csv_percent(v.sla_share)),
            ):
                yield (section, v.key, label(v.key), measure, value)
    for m in report.durations:
        label = str(METRIC_LABELS[m.metric])
        yield ("times", m.metric, label, "contacts", m.count)
        yield ("times", m.metric, label, "p50_seconds", _csv_number(m.p50))
        yield ("times", m.metric, label, "p90_seconds", _csv_number(m.p90))
        yield ("times", m.metric, label, "mean_seconds", _csv_number(m.mean))
        for (low, high), count in zip(BUCKETS, m.buckets, strict=True):
            yield ("times", m.metric, label, f"seconds_{low}_{high or 'more'}", count)
    csat = report.csat
    yield ("csat", "", "", "ratings", csat.ratings)
    yield ("csat", "", "", "mean", _csv_number(csat.mean, 2))
    yield ("csat", "", "", "response_percent", _csv_percent(csat.response_rate))
    for stars, count in csat.distribution.items():
        yield ("csat", str(stars), str(STAR_LABELS[stars]), "ratings", count)
    for v in [*report.visits, report.visits_total]:
        label = department_label(deps, v.key) if v.key else ""
        yield ("visits", v.key, label, "settled", v.settled)
        yield ("visits", v.key, label, "no_shows", v.no_shows)
        yield ("visits", v.key, label, "no_show_percent", _csv_percent(v.no_show_rate))
        yield ("visits", v.key, label, "ratings", v.ratings)
        yield ("visits", v.key, label, "rating_mean", _csv_number(v.rating_mean, 2))
    quality = report.quality
    yield ("qa", "", "", "random_reviews", quality.overall.reviews)
    yield ("qa", "", "", "score_percent", _csv_percent(quality.overall.mean))
    for row in quality.clerks:
        item = row.clerk.email if row.clerk else ""
        name = row.clerk.name if row.clerk else ""
        yield ("qa_by_clerk", item, name, "random_reviews", row.reviews)
        yield ("qa_by_clerk", item, name, "score_percent", _csv_percent(row.mean))
    for label, count in zip(BAND_LABELS, quality.bands, strict=True):
        yield ("qa_clerks_by_band", "", str(label), "clerks", count)
    for kind, figures in quality.other.items():
        yield (f"{kind}_reviews", "", "", "reviews", figures.reviews)
        yield (f"{kind}_reviews", "", "", "score_percent", _csv_percent(figures.mean))


def _csv_percent(value: float | None) -> str:
    return "" if value is None else f"{value * 100:.1f}"


def _csv_number(value: float | None, places: int = 1) -> str:
    return "" if value is None else f"{value:.{places}f}"


def safe_cell(value: object) -> object:
    """A text a spreadsheet would run as a formula (=, +, -, @, tab, CR) gets a leading '."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def index_rows(index: Index) -> list[dict]:
    """The parts of one index, for the page's table."""
    return [{"part": part, "label": PART_LABELS[part.key],
             "effective": index.effective_weight(part)} for part in index.parts]


def missing_text(index: Index) -> str:
    """The parts of an index that have no data, named for people: "A, B"."""
    return ", ".join(str(PART_LABELS[part.key]) for part in index.missing)
