"""Self-contained HTML pages: escaped text, inline CSS and script, figures embedded as base64 PNG.

Nothing on a page refers to a network address, so pages work offline and as e-mail attachments.
"""

from __future__ import annotations

import base64
import html
import io

__all__ = ["esc", "figure_img", "page", "table"]

CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,'Noto Sans JP',sans-serif;margin:2rem auto;
max-width:1100px;padding:0 1rem;color:#1f2933;line-height:1.45}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #d9e2ec}
table{border-collapse:collapse;width:100%;font-size:.9rem;margin:.6rem 0}
th,td{padding:.35rem .6rem;border-bottom:1px solid #e4e7eb;text-align:right}
th:first-child,td:first-child{text-align:left}
th{background:#f5f7fa;cursor:default}th.sortable{cursor:pointer}th.sortable:after{content:' \\2195';color:#9aa5b1}
.muted{color:#616e7c;font-size:.9rem}.ok{color:#2f8132}.failed{color:#c62828;font-weight:600}
.up-to-date,.pending{color:#616e7c}pre.error{white-space:pre-wrap;background:#fff5f5;border-left:3px solid #c62828;
padding:.5rem .8rem;font-size:.85rem}img{max-width:100%}
@media print{body{margin:0;max-width:none}h2{break-after:avoid}img,table{break-inside:avoid}}
@page{size:A4;margin:15mm}
"""

SORT_JS = """
document.querySelectorAll('table.sortable').forEach(function (t) {
  t.querySelectorAll('th').forEach(function (th, i) {
    th.classList.add('sortable');
    th.addEventListener('click', function () {
      var rows = Array.from(t.tBodies[0].rows), asc = th.dataset.asc !== '1';
      rows.sort(function (a, b) {
        var x = a.cells[i].dataset.v || a.cells[i].textContent, y = b.cells[i].dataset.v || b.cells[i].textContent;
        var nx = parseFloat(x), ny = parseFloat(y);
        var c = (!isNaN(nx) && !isNaN(ny)) ? nx - ny : x.localeCompare(y);
        return asc ? c : -c;
      });
      th.dataset.asc = asc ? '1' : '0';
      rows.forEach(function (r) { t.tBodies[0].appendChild(r); });
    });
  });
});
"""


def esc(text: object) -> str:
    """Text as HTML text: scenario names and descriptions are data, never markup."""
    return html.escape(str(text), quote=True)


def figure_img(fig, alt: str, dpi: int = 110) -> str:
    """A matplotlib figure as an <img> with the PNG embedded; the figure is closed."""
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    plt.close(fig)
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    return f'<img alt="{esc(alt)}" src="data:image/png;base64,{data}">'


def table(
    header: list[str], rows: list[list[tuple[str, object] | str]], sortable: bool = False
) -> str:
    """An HTML table. Cells are markup built with :func:`esc`, or ``(markup, sort_value)``."""
    cls = ' class="sortable"' if sortable else ""
    head = "".join(f"<th>{esc(h)}</th>" for h in header)
    body = []
    for row in rows:
        cells = []
        for cell in row:
            if isinstance(cell, tuple):
                text, v = cell
                cells.append(f'<td data-v="{esc(v)}">{text}</td>')
            else:
                cells.append(f"<td>{cell}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table{cls}><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def page(title: str, body: str, script: str = "") -> str:
    """A whole HTML document; ``title`` is escaped, ``body`` is trusted markup built with :func:`esc`."""
    js = f"<script>{script}</script>" if script else ""
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)}</title><style>{CSS}</style></head><body>{body}{js}</body></html>"
    )
