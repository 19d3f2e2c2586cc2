"""The HTML report of ``validate``: one self-contained page (inline CSS, PNGs as base64 data URIs,
no script, no network) with the summary table, the class histogram as a bar chart, the worst
problems with a cropped overlay thumbnail each, the items that failed, and the problems per image."""
from __future__ import annotations

import base64
import html
from typing import TYPE_CHECKING, Any, Optional

from . import _draw
from ._files import encode_png

if TYPE_CHECKING:
    from ._jobs import JobResult

__all__ = ["html_report"]

CSS = """
body{font:14px/1.45 -apple-system,'Segoe UI',Helvetica,Arial,sans-serif;color:#1d1d1f;margin:24px auto;
max-width:1100px;padding:0 16px;background:#fafafa}
h1{font-size:22px;margin:0 0 4px} h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}
.sub{color:#666;margin-bottom:16px} table{border-collapse:collapse;background:#fff}
td,th{border:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f0f0f3} td.n{text-align:right;font-variant-numeric:tabular-nums}
.ok{color:#1a7f37;font-weight:600} .bad{color:#c62828;font-weight:600}
.grid{display:flex;flex-wrap:wrap;gap:12px} .card{background:#fff;border:1px solid #ddd;border-radius:6px;
padding:8px;width:200px} .card img{display:block;margin:0 auto 6px;image-rendering:pixelated;max-width:180px}
.kind{font-weight:600;font-size:12px;text-transform:uppercase;letter-spacing:.03em}
.k5{color:#c62828}.k4{color:#d84315}.k3{color:#9a6700}.k2{color:#555}.k1{color:#555}
.msg{font-size:12px;color:#333;word-break:break-word} .where{font-size:11px;color:#777;word-break:break-all}
code{background:#eee;padding:0 3px;border-radius:3px}
"""


def _img(png: bytes, alt: str, width: Optional[int] = None) -> str:
    w = f' width="{width}"' if width else ""
    return f'<img alt="{html.escape(alt)}"{w} src="data:image/png;base64,{base64.b64encode(png).decode()}">'


def html_report(res: JobResult, worst: list[tuple[dict[str, Any], Optional[str], Optional[str]]],
                categories: list[dict[str, Any]], title: Optional[str] = None) -> str:
    """The report of a validate :class:`~maskcore.jobs.JobResult`; ``worst``: (problem, base64 PNG
    or None, why there is no picture or None) triples, worst first."""
    from ._jobs import SEVERITY

    s = res.summary
    cats = {int(c["id"]): c for c in categories}
    e = html.escape
    title = title or f"maskcore validate: {res.source}"
    out = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           f"<title>{e(title)}</title><style>{CSS}</style></head><body>",
           f"<h1>{e(title)}</h1>"]
    verdict = ('<span class="ok">no problems found</span>' if res.ok else
               f'<span class="bad">{len(res.problems)} problems, {len(res.errors)} items failed</span>')
    out.append(f'<div class="sub">{e(str(s.get("format", "")))} · {verdict}</div>')

    out.append("<h2>Summary</h2><table>")
    rows = [("images", s["images"]), ("images checked", s["images_checked"]),
            ("images that failed to load", s["images_failed"]), ("segments", s["segments"]),
            ("classes seen", len(s["histogram"])), ("problems", s["problems"]),
            ("images with problems", s["images_with_problems"])]
    for k, v in rows:
        out.append(f"<tr><th>{e(k)}</th><td class='n'>{v:,}</td></tr>")
    out.append("</table>")
    if s["problems_by_kind"]:
        out.append("<h2>Problems by kind</h2><table><tr><th>kind</th><th>count</th></tr>")
        for k, v in s["problems_by_kind"].items():
            out.append(f"<tr><td><span class='kind k{SEVERITY.get(k, 1)}'>{e(k)}</span></td>"
                       f"<td class='n'>{v:,}</td></tr>")
        out.append("</table>")

    hist = s["histogram"]
    if hist:
        names = s.get("class_names", {})
        keys = sorted(hist, key=lambda k: (-hist[k], k))[:40]
        labels = [f"{k} {names.get(k, '')}".strip() if str(names.get(k, k)) != str(k) else str(k) for k in keys]
        colors = [(150, 150, 150) if k == 0 and names.get(k, "0") == "0" else _draw.class_color(k, cats)
                  for k in keys]
        more = f" (the 40 largest of {len(hist)})" if len(hist) > 40 else ""
        png = encode_png(_draw.bar_plot(labels, [int(hist[k]) for k in keys], colors,
                                        f"Pixels per class, all images{more}", log=True))
        out.append("<h2>Class histogram</h2>")
        out.append(_img(png, "class histogram: pixels per class"))

    if worst:
        out.append(f"<h2>Worst problems ({len(worst)} of {len(res.problems)})</h2><div class='grid'>")
        for p, pic, why in worst:
            sev = SEVERITY.get(p["kind"], 1)
            picture = (f'<img alt="{e(p["kind"])} in {e(str(p["image"]))}" '
                       f'src="data:image/png;base64,{pic}">' if pic else
                       f"<div class='where'>(no picture: {e(why or 'no pixels')})</div>")
            box = f" · bbox_xywh {p['bbox_xywh']}" if "bbox_xywh" in p else ""
            ann = f" · segment {e(str(p['annotation']))}" if "annotation" in p else ""
            out.append(f"<div class='card'>{picture}<div class='kind k{sev}'>{e(p['kind'])}</div>"
                       f"<div class='msg'>{e(p['message'])}</div>"
                       f"<div class='where'>{e(str(p['image']))}{ann}{e(box)}</div></div>")
        out.append("</div>")

    if res.errors:
        out.append(f"<h2>Items that failed ({len(res.errors)})</h2><table>"
                   "<tr><th>file</th><th>field</th><th>value</th><th>why</th></tr>")
        for er in res.errors[:200]:
            val = "" if er.value is None else repr(er.value)
            out.append(f"<tr><td>{e(er.file)}</td><td>{e(er.field)}</td><td>{e(val)}"
                       f"</td><td>{e(er.why)}</td></tr>")
        out.append("</table>")

    if res.problems:
        out.append(f"<h2>All problems (first 500 of {len(res.problems)})</h2><table>"
                   "<tr><th>image</th><th>kind</th><th>message</th><th>bbox_xywh</th></tr>")
        for p in res.problems[:500]:
            out.append(f"<tr><td>{e(str(p['image']))}</td><td><span class='kind k{SEVERITY.get(p['kind'], 1)}'>"
                       f"{e(p['kind'])}</span></td><td>{e(p['message'])}</td>"
                       f"<td>{e(str(p.get('bbox_xywh', '')))}</td></tr>")
        out.append("</table>")
    out.append("<p class='where'>Written by maskcore validate. Boxes are COCO [x, y, w, h] in pixels.</p>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"
