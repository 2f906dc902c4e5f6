"""The statistics charts: pygal SVG documents at their own URL, their
stylesheet allowed by hash (pygal writes inline styles the page's CSP refuses)."""

from __future__ import annotations

import base64
import hashlib
import re
from xml.sax.saxutils import unescape

from flask import abort, current_app

from ...i18n import t
from ...rooms import service
from ..blueprint import bp
from ..stats import CHARTS, CHECKLIST_RESULTS, VISIT_OUTCOMES, Stats, compute, median, outcome_label, week_label
from .page import stats_request_or_400


# The kiosk's own colours (contrast at least 3:1 against white, WCAG 1.4.11).
COLOURS = ("#00509e", "#a1001c", "#1d6b32", "#7a4d00", "#2c3e91", "#5c2d91", "#006d6f", "#4a4a4a")


def _style():
    from pygal.style import Style

    return Style(background="#ffffff", plot_background="#ffffff", foreground="#111111",
                 foreground_strong="#111111", foreground_subtle="#767676", colors=COLOURS,
                 font_family="system-ui, 'Segoe UI', Roboto, 'DejaVu Sans', Arial, sans-serif",
                 label_font_size=16, major_label_font_size=16, legend_font_size=16, value_font_size=16,
                 title_font_size=18, opacity=1, opacity_hover=1, transition="0s")


def _ticks(highest: float) -> list[int]:
    """Whole numbers for the value axis (counts and minutes), about eight of them."""
    top = max(1, int(highest + 0.999))
    step = max(1, -(-top // 8))
    return list(range(0, top + step, step))


def chart_options() -> dict:
    """The options every statistics chart (rooms, faults, bookings) is made with."""
    from pygal.config import Config

    # No script (it would only drive tooltips); the tooltip, which pygal hides
    # with a style attribute the CSP refuses, is hidden by the stylesheet instead.
    css = [*Config.css.value, "inline:.tooltip{display:none}"]
    return dict(style=_style(), js=[], css=css, disable_xml_declaration=False, width=720, height=420,
                print_values=False, show_legend=True, legend_at_bottom=True, legend_box_size=16,
                x_label_rotation=0, truncate_legend=40, truncate_label=-1)


def finish_chart(chart) -> tuple[bytes, str]:
    """Whole-number ticks up to the highest value; the strict SVG and its CSP style source."""
    highest = max((v or 0 for serie in chart.raw_series for v in serie[0]), default=0)
    chart.y_labels = _ticks(highest)
    return _strict_svg(chart.render(is_unicode=True))


def svg_response(svg: bytes, style_sources: str):
    """A chart as an SVG document of its own, its stylesheet allowed by hash."""
    response = current_app.response_class(svg, mimetype="image/svg+xml")
    response.headers["Content-Security-Policy"] = (
        f"default-src 'none'; style-src {style_sources}; frame-ancestors 'none'; base-uri 'none'; form-action 'none'")
    response.vary.add("Cookie")
    return response


def chart_svg(name: str, stats: Stats, t, skip_reasons) -> tuple[bytes, str]:
    """Render chart ``name``; returns the SVG and the CSP hash source of its stylesheet."""
    import pygal

    common = chart_options()
    if name == "meetings":
        chart = pygal.Bar(**common)
        chart.x_labels = [week_label(w, t) for w in stats.weeks]
        for room in stats.rooms:
            chart.add(room.name, [stats.visits(w, room.id) for w in stats.weeks])
    elif name == "endings":
        # One bar per outcome (each visit has exactly one), named on the axis (no
        # legend to match colours with); pygal draws horizontal bars bottom-up, so
        # the lists are reversed to read in the table's order.
        total = stats.total()
        labels = [outcome_label(o, t) for o in VISIT_OUTCOMES]
        values = [total.outcomes[o] for o in VISIT_OUTCOMES]
        chart = pygal.HorizontalBar(**common)
        chart.x_labels = labels[::-1]
        chart.add(t("admin.stats.count"), values[::-1])
    elif name == "checklists":
        total = stats.total()
        # The table's rows that add up to the visits: complete, skipped, never started.
        labels = [t(f"admin.stats.checklist.{c}") for c in CHECKLIST_RESULTS]
        values = [total.checklists[c] for c in CHECKLIST_RESULTS]
        chart = pygal.HorizontalBar(**common)
        chart.x_labels = labels[::-1]
        chart.add(t("admin.stats.count"), values[::-1])
    elif name == "length":
        chart = pygal.Bar(**common)
        chart.x_labels = [room.name for room in stats.rooms]
        chart.add(t("admin.stats.median_minutes"), [median(stats.total(room_id=room.id).minutes) or 0
                                                     for room in stats.rooms])
    else:
        raise KeyError(name)
    chart.show_legend = name == "meetings"
    return finish_chart(chart)


_SCRIPT = re.compile(r"<script\b.*?</script>", re.S)
_STYLE = re.compile(r"<style\b[^>]*>(.*?)</style>", re.S)
_STYLE_ATTR = re.compile(r'\sstyle="[^"]*"')


def _strict_svg(svg: str) -> tuple[bytes, str]:
    """Drop pygal's scripts and style attributes; hash its one stylesheet for the CSP."""
    svg = _SCRIPT.sub("", svg)
    svg = _STYLE_ATTR.sub("", svg)
    # The browser hashes the stylesheet as parsed: "&gt;" in the XML is ">" to it.
    digests = [base64.b64encode(hashlib.sha256(unescape(m.group(1)).encode("utf-8")).digest()).decode()
               for m in _STYLE.finditer(svg)]
    sources = " ".join(f"'sha256-{d}'" for d in digests) or "'none'"
    return svg.encode("utf-8"), sources


@bp.get("/stats/<chart>.svg")
def stats_chart(chart: str):
    """One chart as an SVG document of its own (its stylesheet allowed by hash)."""
    if chart not in CHARTS:
        abort(404)
    _units, unit, start, end = stats_request_or_400()
    result = compute(unit, start, end)
    return svg_response(*chart_svg(chart, result, t, service.SKIP_REASONS))
