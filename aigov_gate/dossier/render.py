"""The dossier as Markdown or as one self-contained HTML page (prints well: no scripts,
no external resources, page breaks between points). Same input, same bytes."""

from __future__ import annotations

import html
import re

from aigov_gate.dossier import Dossier, Point, Statement

_CODE = re.compile(r"`([^`]+)`")


def _title(d: Dossier) -> str:
    return f"Technical documentation (EU AI Act, Annex IV): {d.model} {d.version}"


def _standing(d: Dossier) -> str:
    state = (
        "the obligation applies to this model on that day"
        if d.obliged
        else "the obligation does not apply to this model on that day"
    )
    text = f"Organization {d.organization}; as of {d.as_of}. Annex IV {d.applies}: {state}."
    if d.problems:
        text += (
            f" Validation reports {d.problems} problem(s) at high or above: documents that "
            "fail their schema are left out of this dossier (`aigov validate` lists them)."
        )
    return text


def _gap_line(d: Dossier) -> str:
    count = len(d.gaps)
    if not count:
        return "Gaps: 0. Every point is filled from the records."
    where = ", ".join(sorted({f"point {n}" for n, _ in d.gaps}))
    return f"Gaps: {count} ({where}). Each is named under its point, with what would fill it."


def _source(s: Statement) -> str:
    if s.source is None:
        return "Git"
    return f"{s.source.path}:{s.source.line}"


_FOOTER = (
    "Assembled by aigov-gate from the governance records. Each statement names the record "
    "(file:line) it comes from; the records are the source: change them, not this document."
)


def markdown(d: Dossier) -> str:
    lines = [f"# {_title(d)}", "", _standing(d), "", f"**{_gap_line(d)}**", ""]
    lines += [f"> Law as stated by {d.framework_source}."]
    if d.caveat:
        lines += [">", f"> Caveat: {d.caveat}"]
    lines.append("")
    for p in d.points:
        lines += _md_point(p)
    lines += ["---", "", _FOOTER, ""]
    return "\n".join(lines)


def _md_point(p: Point) -> list[str]:
    lines = [f"## {p.number}. {p.title}", ""]
    if p.asks:
        lines += [f"_Annex IV({p.number}) asks for: {p.asks}_", ""]
    lines += [f"- {s.text} ({_source(s)})" for s in p.statements]
    if not p.statements:
        lines.append("- Nothing in the records fills this point.")
    lines.append("")
    lines += [*p.notes, ""] if p.notes else []
    if p.gaps:
        lines += [f"**Gaps ({len(p.gaps)}):**", ""]
        lines += [f"- {g.what}. To fill it: {g.fix}." for g in p.gaps]
        lines.append("")
    return lines


_STYLE = """
body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#111}
h1{font-size:1.6rem}h2{font-size:1.2rem;border-bottom:1px solid #999;margin-top:2rem}
code{font-size:.9em;background:#f2f2f2;padding:0 .2em}
.src{color:#555;font-size:.85em;white-space:nowrap}
.gaps{border-left:4px solid #b00;padding:.2rem .8rem;background:#fff4f4}
.caveat{border-left:4px solid #a60;padding:.2rem .8rem;background:#fffaf0}
.none{color:#b00}
section{break-inside:auto}
@media print{body{margin:0;max-width:none}section{break-before:page}
section:first-of-type{break-before:auto}.gaps,.caveat{background:none}}
"""


def _inline(text: str) -> str:
    return _CODE.sub(r"<code>\1</code>", html.escape(text, quote=False))


def page(d: Dossier) -> str:
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta http-equiv="Content-Security-Policy" '
        "content=\"default-src 'none'; style-src 'unsafe-inline'\">",
        f"<title>{html.escape(_title(d))}</title>",
        f"<style>{_STYLE}</style></head><body>",
        f"<h1>{html.escape(_title(d))}</h1>",
        f"<p>{_inline(_standing(d))}</p>",
        f'<p id="gap-count"><strong>{_inline(_gap_line(d))}</strong></p>',
        f'<div class="caveat"><p>Law as stated by {_inline(d.framework_source)}.</p>',
    ]
    if d.caveat:
        out.append(f"<p>Caveat: {_inline(d.caveat)}</p>")
    out.append("</div>")
    out += [_html_point(p) for p in d.points]
    out += [f"<hr><p>{_inline(_FOOTER)}</p>", "</body></html>", ""]
    return "\n".join(out)


def _html_point(p: Point) -> str:
    parts = [f'<section id="point-{p.number}"><h2>{p.number}. {html.escape(p.title)}</h2>']
    if p.asks:
        parts.append(f"<p><em>Annex IV({p.number}) asks for: {_inline(p.asks)}</em></p>")
    items = [
        f'<li>{_inline(s.text)} <span class="src">{html.escape(_source(s))}</span></li>'
        for s in p.statements
    ] or ['<li class="none">Nothing in the records fills this point.</li>']
    parts.append("<ul>" + "".join(items) + "</ul>")
    parts += [f"<p>{_inline(n)}</p>" for n in p.notes]
    if p.gaps:
        gaps = "".join(f"<li>{_inline(g.what)}. To fill it: {_inline(g.fix)}.</li>" for g in p.gaps)
        parts.append(f'<div class="gaps"><p>Gaps ({len(p.gaps)}):</p><ul>{gaps}</ul></div>')
    parts.append("</section>")
    return "\n".join(parts)


FORMATS = {"markdown": markdown, "html": page}
