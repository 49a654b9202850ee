"""The ``udbudsregler diff`` report as one self-contained HTML page.

``udbudsregler diff OLD NEW --html FILE`` writes it: the two rounds, a bar chart of how
many citizens (and settled referrals) each kind of change affects, the changed
definitions, and for each kind of change what is responsible and the example citizens
with their facts and the YAML test case to paste. The page needs no network and no
script: the chart is inline SVG, the styles are inline, every text is escaped.
"""

from __future__ import annotations

import json
from html import escape
from typing import Any

__all__ = ["diff_html"]

_BAR_WIDTH = 480
_BAR_HEIGHT = 22
_LABEL_WIDTH = 300


def _chart(groups: list[dict[str, Any]], compared: int) -> str:
    """A horizontal bar chart (SVG) of the groups' counts."""
    if not groups:
        return '<p class="empty">No citizen or referral is treated differently.</p>'
    largest = max(g["count"] for g in groups) or 1
    height = len(groups) * (_BAR_HEIGHT + 8) + 8
    width = _LABEL_WIDTH + _BAR_WIDTH + 120
    rows = []
    for i, group in enumerate(groups):
        y = 8 + i * (_BAR_HEIGHT + 8)
        bar = round(_BAR_WIDTH * group["count"] / largest)
        rows.append(
            f'<g class="bar" data-kind="{escape(group["kind"])}" '
            f'data-count="{group["count"]}">'
            f'<text x="{_LABEL_WIDTH - 8}" y="{y + _BAR_HEIGHT - 6}" text-anchor="end">'
            f'{escape(group["title"])}</text>'
            f'<rect x="{_LABEL_WIDTH}" y="{y}" width="{bar}" height="{_BAR_HEIGHT}" '
            f'rx="3"><title>{escape(group["title"])}: {group["count"]}</title></rect>'
            f'<text class="count" x="{_LABEL_WIDTH + bar + 6}" y="{y + _BAR_HEIGHT - 6}">'
            f'{group["count"]:,} ({group["percent"]}%)</text></g>')
    return (f'<svg class="chart" role="img" aria-label="affected counts" width="{width}" '
            f'height="{height}" viewBox="0 0 {width} {height}">' + "".join(rows) + "</svg>")


def _policy(side: str, p: dict[str, Any]) -> str:
    valid = p["valid"]
    return (f'<div class="policy {side}"><h2>{escape(side)}: {escape(p["id"])}</h2>'
            f'<p>{escape(p["title"])}</p><p class="meta">valid {escape(valid["from"])} to '
            f'{escape(valid["to"] or "open")}; <code>{escape(p["content_hash"][:19])}'
            "...</code></p></div>")


def _definitions(items: list[dict[str, Any]]) -> str:
    if not items:
        return "<p>No definition changed.</p>"
    rows = []
    for d in items:
        changes = "; ".join(
            f'{escape(c["field"])}: <del>{escape(str(c["old"]))}</del> → '
            f'<ins>{escape(str(c["new"]))}</ins>' for c in d.get("changes", []))
        rows.append(f'<tr class="{"semantic" if d.get("semantic") else "wording"}">'
                    f'<td>{escape(d["kind"])}</td><td><code>{escape(d["name"])}</code></td>'
                    f"<td>{changes}</td></tr>")
    return ("<table><thead><tr><th>kind</th><th>name</th><th>change</th></tr></thead>"
            "<tbody>" + "".join(rows) + "</tbody></table>")


def _group(group: dict[str, Any]) -> str:
    parts = [f'<section class="group" id="group-{escape(group["kind"])}">'
             f'<h3>{escape(group["title"])}: {group["count"]:,} ({group["percent"]}%)</h3>']
    if "total" in group:
        parts.append(f'<p>difference in payments: total {escape(group["total"])}, largest '
                     f'{escape(group["largest"])}</p>')
    if group.get("responsible"):
        parts.append("<ul class=\"responsible\">" + "".join(
            f'<li>{escape(r["kind"])} <code>{escape(r["id"])}</code> {escape(r["title"])}: '
            f'{escape(str(r["old"]))} → {escape(str(r["new"]))} ({r["count"]:,}); because: '
            f'{escape(", ".join(r.get("because", [])))}</li>'
            for r in group["responsible"]) + "</ul>")
    for i, example in enumerate(group.get("examples", []), 1):
        data = next((example[k] for k in ("facts", "referral", "scenario")
                     if example.get(k) is not None), None)
        facts = json.dumps(data, ensure_ascii=False, indent=2) if data is not None else ""
        parts.append(
            f'<details class="example"{" open" if i == 1 else ""}><summary>example {i}: '
            f'{escape(example.get("source", ""))}'
            + (f' (on {escape(example["on"])})' if example.get("on") else "")
            + "</summary>"
            f'<p class="old">old: {escape(str(example.get("old", "")))}</p>'
            f'<p class="new">new: {escape(str(example.get("new", "")))}</p>'
            + (f'<pre class="facts">{escape(facts)}</pre>' if facts else "")
            + (f'<pre class="case">{escape(example["case"])}</pre>' if example.get("case")
               else "") + "</details>")
    parts.append("</section>")
    return "".join(parts)


_STYLE = """
body { font: 15px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 72rem;
       padding: 0 1rem; color: #222; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.1rem; margin: 0; } h3 { font-size: 1.05rem; }
.policies { display: flex; gap: 1rem; flex-wrap: wrap; }
.policy { flex: 1 1 20rem; border: 1px solid #ccc; border-radius: 6px; padding: .6rem .8rem; }
.policy.old { background: #fff5f5; } .policy.new { background: #f3fff3; }
.meta { color: #666; font-size: .85rem; }
.chart rect { fill: #3f6fb5; } .chart text { font-size: 13px; fill: #222; }
table { border-collapse: collapse; width: 100%; }
td, th { border-bottom: 1px solid #ddd; padding: .3rem .5rem; text-align: left;
         vertical-align: top; }
tr.wording td { color: #777; }
del { color: #a11; } ins { color: #161; text-decoration: none; }
pre { background: #f6f6f6; padding: .6rem; overflow-x: auto; font-size: .8rem; }
.group { border-top: 1px solid #ddd; margin-top: 1rem; }
.empty { color: #666; }
"""


def diff_html(report: dict[str, Any]) -> str:
    """The page for a diff report (``DiffReport.to_dict()``)."""
    old, new = report["old"], report["new"]
    citizens, scenarios = report["citizens"], report["scenarios"]
    groups = report["groups"]
    title = f"{old['id']} → {new['id']}: who is treated differently"
    own = (f" (the population rows each on its own date: "
           f"<code>{escape(report['on_column'])}</code>)" if report.get("on_column") else "")
    summary = (f'<p class="summary">{citizens["compared"]:,} citizens compared on '
               f'{escape(report["on"])}{own}, <strong>{citizens["changed"]:,}</strong> '
               f'decided differently; {scenarios["compared"]:,} referrals settled under '
               'both.</p>')
    notes = "".join(f"<li>{escape(n)}</li>" for n in report.get("notes", []))
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head><body>"
        f"<h1>{escape(title)}</h1>"
        f'<div class="policies">{_policy("old", old)}{_policy("new", new)}</div>'
        f"{summary}<h2>Affected</h2>{_chart(groups, citizens['compared'])}"
        f"<h2>Changed definitions</h2>{_definitions(report.get('definitions', []))}"
        + "".join(_group(g) for g in groups)
        + (f"<h2>Notes</h2><ul>{notes}</ul>" if notes else "")
        + "</body></html>\n")
