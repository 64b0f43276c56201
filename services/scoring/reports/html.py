"""A report as one self-contained HTML page: inline CSS, charts drawn as inline SVG, no
external resource of any kind, so it renders offline and can be mailed as it is."""

from collections.abc import Sequence
from html import escape
from typing import Any

WIDTH = 640
BAR_HEIGHT = 22


def _text(value: Any) -> str:
    return escape("" if value is None else str(value))


def _number(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _percent(value: Any) -> str:
    return "—" if value is None else f"{value * 100:+.1f}%"


def line_chart(title: str, labels: Sequence[str], values: Sequence[float]) -> str:
    """A line of daily values with a point per day."""
    height, pad = 200, 30
    top = max(values, default=0) or 1
    step = (WIDTH - 2 * pad) / max(len(values) - 1, 1)

    def y(value: float) -> float:
        return height - pad - (height - 2 * pad) * value / top

    points = [(pad + i * step, y(v)) for i, v in enumerate(values)]
    path = " ".join(
        f"{'M' if i == 0 else 'L'}{px:.1f},{py:.1f}" for i, (px, py) in enumerate(points)
    )
    dots = "".join(
        f'<circle cx="{px:.1f}" cy="{py:.1f}" r="3"><title>{_text(labels[i])}: '
        f"{_number(values[i])}</title></circle>"
        for i, (px, py) in enumerate(points)
    )
    axis = (
        f'<line x1="{pad}" y1="{height - pad}" x2="{WIDTH - pad}" y2="{height - pad}" '
        'class="axis"/>'
        f'<text x="{pad}" y="{height - 8}">{_text(labels[0] if labels else "")}</text>'
        f'<text x="{WIDTH - pad}" y="{height - 8}" text-anchor="end">'
        f"{_text(labels[-1] if labels else '')}</text>"
        f'<text x="{pad}" y="{pad - 10}">max {_number(top)}</text>'
    )
    return (
        f'<figure><figcaption>{_text(title)}</figcaption><svg class="chart" role="img" '
        f'aria-label="{_text(title)}" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}" xmlns="http://www.w3.org/2000/svg">{axis}'
        f'<path class="line" d="{path or "M0,0"}"/>{dots}</svg></figure>'
    )


def bar_chart(title: str, rows: Sequence[tuple[str, float]]) -> str:
    """Horizontal bars, one per row, longest for the largest value."""
    label_width, pad = 200, 10
    height = max(len(rows), 1) * (BAR_HEIGHT + 6) + 2 * pad
    top = max((v for _, v in rows), default=0) or 1
    bars = []
    for i, (label, value) in enumerate(rows):
        y = pad + i * (BAR_HEIGHT + 6)
        length = max((WIDTH - label_width - 80) * value / top, 1 if value else 0)
        bars.append(
            f'<text x="{label_width - 6}" y="{y + 16}" text-anchor="end">'
            f"{_text(label[:30])}</text>"
            f'<rect class="bar" x="{label_width}" y="{y}" width="{length:.1f}" '
            f'height="{BAR_HEIGHT}"><title>{_text(label)}: {_number(value)}</title></rect>'
            f'<text x="{label_width + length + 6:.1f}" y="{y + 16}">{_number(value)}</text>'
        )
    if not rows:
        bars.append(f'<text x="{pad}" y="{pad + 16}">no data in this period</text>')
    return (
        f'<figure><figcaption>{_text(title)}</figcaption><svg class="chart" role="img" '
        f'aria-label="{_text(title)}" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}" xmlns="http://www.w3.org/2000/svg">'
        f"{''.join(bars)}</svg></figure>"
    )


def _table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    head = "".join(f"<th>{_text(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{_text(_number(cell))}</td>" for cell in row) + "</tr>"
        for row in rows
    )
    if not rows:
        body = f'<tr><td colspan="{len(headers)}">none in this period</td></tr>'
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


# After load, the page writes each chart's drawn size and marks into `data-chart-boxes`, so a
# headless browser's DOM dump shows whether the charts were drawn (tests read it).
_CHECK = """<script>
(function () {
  var boxes = [];
  document.querySelectorAll("svg.chart").forEach(function (svg) {
    var box = svg.getBoundingClientRect();
    var marks = 0;
    svg.querySelectorAll("rect.bar, path.line, circle").forEach(function (mark) {
      var b = mark.getBoundingClientRect();
      if (b.width > 0 && b.height > 0) { marks += 1; }
    });
    boxes.push({label: svg.getAttribute("aria-label"), width: box.width,
                height: box.height, marks: marks});
  });
  document.body.setAttribute("data-chart-boxes", JSON.stringify(boxes));
})();
</script>"""

_STYLE = """
body{font-family:system-ui,"PingFang SC","Noto Sans CJK SC",sans-serif;margin:2em auto;
max-width:960px;color:#222}
h1{font-size:1.6em}h2{border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:2em}
table{border-collapse:collapse;margin:.5em 0;width:100%}
td,th{border:1px solid #ddd;padding:.3em .5em;text-align:left;font-size:.9em}
th{background:#f4f4f4}.up{color:#17803d}.down{color:#b42318}
svg.chart text{font-size:11px;fill:#444}svg.chart .bar{fill:#3b82f6}
svg.chart .line{fill:none;stroke:#3b82f6;stroke-width:2}svg.chart circle{fill:#1d4ed8}
svg.chart .axis{stroke:#999}figure{margin:1em 0}figcaption{font-weight:600;margin-bottom:.3em}
.note{color:#666;font-size:.85em}
"""


def render(report: dict[str, Any]) -> str:
    """The report as an HTML page (every text escaped; nothing fetched from anywhere)."""
    kpis = report["kpis"]
    kpi_rows = [
        (k["name"], k["value"], k["previous"], _percent(k["change"]), k["formula"]) for k in kpis
    ]
    daily = report["daily"]
    counted = [
        (k["name"], float(k["value"] or 0))
        for k in kpis
        if k["name"] in {"messages", "replies", "reactions", "content_items", "checkins"}
    ]
    goals = [
        (g["metric"], g["period"], g["target"], g["value"], g["forecast"], g["status"])
        for g in report["goals"]
    ]
    content = [
        (c.get("title") or c["content_id"], float(c["engagement"])) for c in report["top_content"]
    ]
    events = [
        (
            e["title"],
            e["status"],
            e["registered"],
            e["attended"],
            e["attendance_rate"],
            e["no_shows"],
            e["average_rating"],
        )
        for e in report["events"]
    ]
    board = [
        (b["rank"], b["display_name"] or b["member_id"], b["points"]) for b in report["leaderboard"]
    ]
    segments = sorted(report["segments"]["distribution"].items())
    moves = [(m["from"], m["to"], m["members"]) for m in report["segments"]["moves"]]
    tiers = sorted(report["tier_moves"]["by_reason"].items())
    alerts = [
        (a["kind"], a["previous_value"], a["value"], a["raised_at"]) for a in report["alerts"]
    ]
    gaps = "".join(f"<li><b>{_text(k)}</b>: {_text(v)}</li>" for k, v in report["gaps"].items())
    title = f"{report['kind']} report {report['period']}"
    days = [d["day"] for d in daily]
    kinds = [
        (k["kind"], k["items"], k["engagement"], k["engagement_per_item"])
        for k in report["content_kinds"]
    ]
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_text(title)}</title><style>{_STYLE}</style></head>
<body>
<h1>{_text(title)}</h1>
<p>{_text(report["starts_on"])} - {_text(report["ends_on"])} ({_text(report["timezone"])}),
compared with {_text(report["previous_period"])}; built {_text(report["built_at"])}.</p>
<h2>KPIs</h2>
{_table(("figure", "this period", "previous", "change", "formula"), kpi_rows)}
{bar_chart("Activity counts this period", counted)}
{line_chart("Active members per day", days, [float(d["active"]) for d in daily])}
{line_chart("Activities per day", days, [float(d["activities"]) for d in daily])}
<h2>Goals</h2>
{_table(("metric", "period", "target", "value", "forecast", "status"), goals)}
<h2>Top content</h2>
{bar_chart("Content by engagement", content)}
{_table(("kind", "items", "engagement", "per item"), kinds)}
<h2>Events</h2>
{_table(("event", "status", "registered", "attended", "attendance", "no-shows", "rating"), events)}
<h2>Leaderboard, top 10</h2>
{_table(("rank", "member", "points"), board)}
<h2>Segments</h2>
{bar_chart("Members per segment", [(s, float(n)) for s, n in segments])}
{_table(("from", "to", "members"), moves)}
<h2>Tier moves</h2>
{_table(("reason", "members"), tiers)}
<h2>Alerts and moderation</h2>
{_table(("alert", "before", "value", "raised at"), alerts)}
<p>Reports filed: {_number(report["moderation"]["reports"])};
sanctions issued: {_number(report["moderation"]["sanctions"])}.</p>
<h2>What this report cannot show</h2><ul class="note">{gaps}</ul>
{_CHECK}
</body></html>
"""
