"""The dashboard: one self-contained HTML file (``aigov report html``, ``--output html=FILE``).

No network and nothing external: a Content-Security-Policy of ``default-src 'none'`` lets in
only the one inline stylesheet and the one inline script, by their SHA-256. Jinja2 renders
it with autoescaping and strict undefined, so any text from a document is text (a
``<script>`` in a clause title shows as ``<script>``). The static content (decision, the
clause x model matrix, models, trends as inline SVG with a table beside each chart) needs
no JavaScript; the script only adds the filters. Colour is never the only signal: every
status has a mark and a word. Personal data is masked by the writer, as for every output.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable
from functools import cache
from html import escape
from importlib import resources
from typing import Any

from aigov_gate import __version__
from aigov_gate.reporters.common import judged, summary, where
from aigov_gate.result import ClauseStatus, Finding, FrameworkCompliance, GateResult, SignOff
from aigov_gate.sheets import MetricSeries, ModelSheet

MARKS = {
    "compliant": "✔",
    "partially_compliant": "◐",
    "non_compliant": "✖",
    "not_assessed": "?",
    "not_applicable": "\u2013",  # en dash
}

STYLE = """
:root{--ok:#1a7f37;--bad:#b42318;--warn:#9a6700;--muted:#57606a;--line:#d0d7de;--bg:#f6f8fa}
*{box-sizing:border-box}
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1f2328}
header,main,footer{max-width:1400px;margin:0 auto;padding:0 1.2rem}
h1{font-size:1.5rem;margin:1rem 0 .3rem}h2{border-bottom:1px solid var(--line);padding-bottom:.2rem}
.skip{position:absolute;left:-999px}.skip:focus{left:1rem;top:1rem;background:#fff;padding:.3rem}
.decision{font-size:1.2rem;padding:.5rem .8rem;border-radius:6px;display:inline-block}
.decision.ok{background:#dafbe1;color:var(--ok)}.decision.bad{background:#ffebe9;color:var(--bad)}
.meta,.hint,small,.coverage{color:var(--muted)}
nav ul{list-style:none;padding:0;display:flex;gap:1rem}
table{border-collapse:collapse;margin:.6rem 0 1.2rem;font-size:.9rem}
caption{text-align:left;font-weight:600;padding:.3rem 0}
th,td{border:1px solid var(--line);padding:.25rem .45rem;vertical-align:top;text-align:left}
thead th{background:var(--bg);position:sticky;top:0}
.scroll{overflow:auto;max-height:80vh}
.matrix td{white-space:nowrap}.matrix .title{color:var(--muted)}
.depth-1{padding-left:1.2rem}.depth-2{padding-left:2rem}.depth-3{padding-left:2.8rem}
.st-compliant{color:var(--ok)}.st-non_compliant{color:var(--bad)}
.st-partially_compliant{color:var(--warn)}.st-not_assessed,.st-not_applicable{color:var(--muted)}
.sev{font-weight:600}.sev-critical,.sev-high{color:var(--bad)}.sev-medium{color:var(--warn)}
.filters{display:flex;flex-wrap:wrap;gap:.8rem;align-items:end;margin:.6rem 0;
  padding:.6rem;background:var(--bg);border:1px solid var(--line);border-radius:6px}
.filters label{display:flex;flex-direction:column;font-size:.85rem}
.hidden,[hidden]{display:none}
.charts{display:flex;flex-wrap:wrap;gap:1rem}
figure{margin:0;border:1px solid var(--line);border-radius:6px;padding:.5rem;max-width:22rem}
figcaption{font-size:.85rem}
.points{font-size:.8rem}
.visually-hidden{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}
svg .line{fill:none;stroke:#0969da;stroke-width:2}svg .dot{fill:#0969da}
svg .ci{stroke:#0969da;stroke-width:1}svg .bound{stroke:var(--bad);stroke-dasharray:4 3}
:focus-visible{outline:3px solid #0969da;outline-offset:2px}
@media print{nav,.filters,.skip{display:none}.scroll{max-height:none;overflow:visible}
  a{color:inherit;text-decoration:none}article,figure,tr{break-inside:avoid}
  thead th{position:static}body{font-size:11px}}
""".strip()

SCRIPT = """
(function () {
  var form = document.getElementById("filters");
  if (!form) { return; }
  form.hidden = false;
  var fw = document.getElementById("f-framework"), model = document.getElementById("f-model");
  var status = document.getElementById("f-status"), text = document.getElementById("f-text");
  var count = document.getElementById("f-count");
  form.addEventListener("submit", function (e) { e.preventDefault(); });
  function apply() {
    var f = fw.value, m = model.value, s = status.value, t = text.value.trim().toLowerCase();
    var shown = 0;
    document.querySelectorAll("section.framework").forEach(function (sec) {
      var on = !f || sec.getAttribute("data-framework") === f;
      sec.classList.toggle("hidden", !on);
      sec.querySelectorAll("[data-model]").forEach(function (el) {
        el.classList.toggle("hidden", !!m && el.getAttribute("data-model") !== m);
      });
      sec.querySelectorAll("tbody tr").forEach(function (row) {
        var ok = on && (!t || row.getAttribute("data-text").indexOf(t) !== -1);
        if (ok && s) {
          ok = Array.prototype.some.call(row.querySelectorAll("td"), function (td) {
            return !td.classList.contains("hidden") && td.getAttribute("data-status") === s;
          });
        }
        row.classList.toggle("hidden", !ok);
        if (ok) { shown += 1; }
      });
    });
    count.textContent = shown + " clause row(s) shown";
  }
  [fw, model, status].forEach(function (el) { el.addEventListener("change", apply); });
  text.addEventListener("input", apply);
  apply();
})();
""".strip()


def _hash(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()


@cache
def _template() -> Any:
    import jinja2

    env = jinja2.Environment(
        autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True
    )
    source = resources.files("aigov_gate.reporters").joinpath("templates/dashboard.html.j2")
    return env.from_string(source.read_text(encoding="utf-8"))


def render_html(result: GateResult, colour: bool = False) -> str:
    from markupsafe import Markup

    context = _context(result)
    context.update(
        style=Markup(STYLE),
        script=Markup(SCRIPT),
        style_hash=_hash(STYLE),
        script_hash=_hash(SCRIPT),
    )
    for sheet in context["sheets"]:
        for series in sheet["metrics"]:
            series["svg"] = Markup(series["svg"])
    text: str = _template().render(**context)
    return text


def _link(result: GateResult, f: Finding) -> str:
    base = result.web_url
    if not base or not f.location.path:
        return ""
    path = f"{result.path_prefix}{f.location.path}"
    return f"{base}{path}" + (f"#L{f.location.line}" if f.location.line else "")


def _context(result: GateResult) -> dict[str, Any]:
    s = result.situation
    blocking = [
        {
            "severity": f.severity.label,
            "rule": f.rule_id,
            "where": str(f.location),
            "url": _link(result, f),
            "model": f.model or f.target,
            "message": f.message,
            "hint": f.hint,
        }
        for f in result.blocking
    ]
    judged_on = {m.label: judged(result, m).lines() for m in result.models}
    return {
        "decision": result.decision,
        "passed": result.passed,
        "where": where(result),
        "as_of": s.today.isoformat(),
        "version": __version__,
        "base": result.base or "",
        "summary": summary(result),
        "blocking": blocking,
        "changes": list(result.compliance_changes),
        "compliance": bool(result.compliance),
        "frameworks": _frameworks(result.compliance),
        "models": sorted({fc.model for fc in result.compliance}),
        "statuses": list(MARKS),
        "sheets": [_sheet(m, result.signoffs, judged_on.get(m.label, [])) for m in result.sheets],
    }


def _frameworks(compliance: Iterable[FrameworkCompliance]) -> list[dict[str, Any]]:
    grouped: dict[str, list[FrameworkCompliance]] = {}
    for fc in compliance:
        grouped.setdefault(fc.framework, []).append(fc)
    out = []
    for name, per_model in grouped.items():
        first = per_model[0]
        models = [fc.model for fc in per_model]
        by_model = {fc.model: {c.clause: c for c in fc.clauses} for fc in per_model}
        depth: dict[str, int] = {}
        rows = []
        for clause in first.clauses:
            depth[clause.clause] = depth.get(clause.parent or "", -1) + 1 if clause.parent else 0
            cells = [_cell(m, by_model[m].get(clause.clause)) for m in models]
            rows.append(
                {
                    "clause": clause.clause,
                    "title": clause.title,
                    "depth": min(depth[clause.clause], 3),
                    "text": f"{clause.clause} {clause.title}".lower(),
                    "cells": cells,
                }
            )
        out.append(
            {
                "id": name,
                "title": first.title,
                "version": first.version,
                "models": models,
                "rows": rows,
                "coverage": [
                    {
                        "model": fc.model,
                        "coverage": f"{fc.coverage:.0f}",
                        "assessed": sum(c.assessed for c in fc.counted),
                        "counted": len(fc.counted),
                    }
                    for fc in per_model
                ],
            }
        )
    return out


def _cell(model: str, c: ClauseStatus | None) -> dict[str, str]:
    if c is None:
        return {
            "model": model,
            "status": "not_applicable",
            "mark": MARKS["not_applicable"],
            "reason": "",
            "declared": "",
        }
    declared = c.declared if c.declared and c.declared != c.status else ""
    return {
        "model": model,
        "status": c.status,
        "mark": MARKS.get(c.status, "?"),
        "reason": c.reason,
        "declared": declared or "",
    }


def _sheet(
    m: ModelSheet, signoffs: Iterable[SignOff], judged_on: list[tuple[str, str]]
) -> dict[str, Any]:
    a = m.assessment
    assessment = None
    if a is not None:
        days = a.days_to_review
        note = "" if days is None else f"in {days} days" if days >= 0 else f"{-days} days overdue"
        assessment = {**_fields(a), "review_note": note}
    names = {a.name} if a else set()
    return {
        "label": m.label,
        "risk_tier": m.risk_tier,
        "annex_iii": m.annex_iii or "",
        "where": f"{m.where.path}:{m.where.line}" if m.where.line else m.where.path,
        "judged_on": judged_on,
        "assessment": assessment,
        "signoffs": [_signoff(s) for s in signoffs if s.assessment in names],
        "waivers": list(m.waivers),
        "evidence": list(m.evidence),
        "metrics": [_series(s) for s in m.metrics],
    }


def _fields(obj: Any) -> dict[str, Any]:
    return {name: getattr(obj, name) for name in obj.__slots__}


def _signoff(s: SignOff) -> dict[str, Any]:
    return {
        "provider": s.provider,
        "satisfied": s.satisfied,
        "required": s.required,
        "approved": ", ".join(f"{c.user} ({c.role})" for c in s.counted),
        "missing": "; ".join(s.missing),
        "error": s.error,
    }


def _series(s: MetricSeries) -> dict[str, Any]:
    points = [
        {
            "run": p.run,
            "version": p.version,
            "when": p.when,
            "value": f"{p.value:g}",
            "interval": f"[{p.ci_low:g}, {p.ci_high:g}]"
            if p.ci_low is not None and p.ci_high is not None
            else "—",
        }
        for p in s.points
    ]
    return {
        "metric": s.metric,
        "slice": s.slice,
        "requirement": s.requirement,
        "points": points,
        "svg": _svg(s),
    }


def _svg(s: MetricSeries, width: int = 320, height: int = 90, pad: int = 10) -> str:
    """A small line chart: values, their intervals as whiskers, the bounds dashed."""
    values = [p.value for p in s.points]
    extra = [v for p in s.points for v in (p.ci_low, p.ci_high) if v is not None]
    bounds = [b for b in (s.low, s.high) if b is not None]
    lo, hi = min(values + extra + bounds), max(values + extra + bounds)
    span = (hi - lo) or 1.0
    n = len(values)

    def x(i: int) -> float:
        return pad + (width - 2 * pad) * (i / (n - 1) if n > 1 else 0.5)

    def y(v: float) -> float:
        return height - pad - (height - 2 * pad) * (v - lo) / span

    parts = []
    for b in bounds:
        parts.append(
            f'<line class="bound" x1="{pad}" x2="{width - pad}" y1="{y(b):.1f}" y2="{y(b):.1f}"/>'
        )
    for i, p in enumerate(s.points):
        if p.ci_low is not None and p.ci_high is not None:
            parts.append(
                f'<line class="ci" x1="{x(i):.1f}" x2="{x(i):.1f}" '
                f'y1="{y(p.ci_low):.1f}" y2="{y(p.ci_high):.1f}"/>'
            )
    line = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(values))
    parts.append(f'<polyline class="line" points="{line}"/>')
    parts += [
        f'<circle class="dot" cx="{x(i):.1f}" cy="{y(v):.1f}" r="3"/>' for i, v in enumerate(values)
    ]
    label = f"{s.metric} {s.slice}".strip() + ": " + ", ".join(f"{v:g}" for v in values)
    if s.requirement:
        label += f" (needs {s.requirement})"
    return (
        f'<svg role="img" aria-label="{escape(label)}" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg">'
        f"<title>{escape(label)}</title>{''.join(parts)}</svg>"
    )
