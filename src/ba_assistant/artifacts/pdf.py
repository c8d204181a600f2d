"""Artifacts as PDF: the markdown as HTML (markdown-it, raw HTML never interpreted), laid out
by WeasyPrint as a document a BA would send to a client.

Nothing is fetched while rendering: only ``data:`` URLs are allowed, and images pointing
anywhere else are replaced by their alt text before WeasyPrint sees them.
"""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Sequence
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict

from ba_assistant.artifacts.export import TYPE_LABELS, ExportSource, without_title
from ba_assistant.errors import ServiceUnavailable

LINK_SCHEMES = ("http://", "https://", "mailto:")
_DATA_IMAGE = re.compile(
    r"^data:image/(?P<kind>png|jpeg|gif|webp);base64,(?P<data>[A-Za-z0-9+/=]+)$"
)
_RASTER_MAGIC = {
    "png": b"\x89PNG\r\n\x1a\n",
    "jpeg": b"\xff\xd8\xff",
    "gif": b"GIF8",
    "webp": b"RIFF",
}

# Fontconfig falls back per character, so accented Latin comes from the first family and
# Chinese, Japanese or Korean from Noto Sans CJK when it is installed.
STYLESHEET = """
@page {
  size: A4;
  margin: 22mm 20mm 24mm 20mm;
  @bottom-left { content: string(project); font-size: 8.5pt; color: #5b6472; }
  @bottom-right {
    content: "Page " counter(page) " of " counter(pages); font-size: 8.5pt; color: #5b6472;
  }
}
html {
  font-family: "Noto Sans", "DejaVu Sans", "Liberation Sans", "Noto Sans CJK SC", sans-serif;
  font-size: 10.5pt; line-height: 1.45; color: #1d2430;
}
.title-block { border-bottom: 2px solid #2f5d8a; padding-bottom: 8pt; margin-bottom: 16pt; }
.title-block h1 { font-size: 22pt; margin: 0 0 4pt; color: #1f3f60; }
.title-block .meta { color: #5b6472; font-size: 9.5pt; margin: 0; }
.title-block .project { string-set: project content(); }
h1, h2, h3, h4, h5, h6 { color: #1f3f60; line-height: 1.2; break-after: avoid; }
h1 { font-size: 17pt; margin: 18pt 0 6pt; }
h2 { font-size: 14pt; margin: 16pt 0 6pt; }
h3 { font-size: 12pt; margin: 12pt 0 4pt; }
h4, h5, h6 { font-size: 10.5pt; margin: 10pt 0 4pt; }
p { margin: 0 0 7pt; }
ul, ol { margin: 0 0 7pt; padding-left: 18pt; }
li { margin: 2pt 0; }
li > ul, li > ol { margin: 2pt 0 0; }
table { border-collapse: collapse; width: 100%; margin: 6pt 0 10pt; font-size: 9.5pt; }
th, td { border: 0.75pt solid #9aa5b4; padding: 4pt 6pt; text-align: left; vertical-align: top; }
thead th { background: #e3eaf3; font-weight: bold; }
thead { display: table-header-group; }
tr { break-inside: avoid; }
code, pre {
  font-family: "DejaVu Sans Mono", "Liberation Mono", "Noto Sans Mono CJK SC", monospace;
  font-size: 9pt;
}
code { background: #f1f3f6; padding: 0 2pt; }
pre {
  background: #f1f3f6; border: 0.75pt solid #d5dbe3; padding: 6pt 8pt;
  white-space: pre-wrap; overflow-wrap: anywhere;
}
pre code { background: none; padding: 0; }
blockquote { margin: 0 0 7pt; padding-left: 10pt; border-left: 3pt solid #c9d3df; color: #3c4654; }
a { color: #1f5fa0; text-decoration: none; }
a.external::after { content: " (" attr(href) ")"; color: #5b6472; font-size: 9pt; }
img { max-width: 100%; }
.dropped-image { color: #5b6472; font-style: italic; }
hr { border: none; border-top: 0.75pt solid #c9d3df; margin: 12pt 0; }
"""


def _markdown() -> MarkdownIt:
    md = MarkdownIt("js-default")  # CommonMark + tables; html=False escapes raw HTML
    md.add_render_rule("image", _image)
    md.add_render_rule("link_open", _link_open)
    return md


def _image(self: Any, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
    token = tokens[idx]
    source = str(token.attrs.get("src", ""))
    alt = self.renderInlineAsText(token.children or [], options, env)
    if _is_raster_data(source):
        return f'<img src="{html.escape(source)}" alt="{html.escape(alt)}">'
    label = f"[image: {alt}]" if alt else "[image]"
    return f'<span class="dropped-image">{html.escape(label)}</span>'


def _is_raster_data(source: str) -> bool:
    """A ``data:`` PNG, JPEG, GIF or WebP that really is one. WeasyPrint would try an SVG
    mislabelled as PNG as SVG, whose references only the URL fetcher then stops."""
    match = _DATA_IMAGE.match(source)
    if match is None:
        return False
    try:
        head = base64.b64decode(match["data"][:64] + "=" * (-len(match["data"][:64]) % 4))
    except ValueError:
        return False
    return head.startswith(_RASTER_MAGIC[match["kind"]])


def _link_open(
    self: Any, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    href = str(tokens[idx].attrs.get("href", ""))
    if href.startswith(LINK_SCHEMES):
        return f'<a class="external" href="{html.escape(href)}">'
    return "<a>"  # a relative or in-page link means nothing in a PDF: keep the text


_MARKDOWN = _markdown()


def to_html(source: ExportSource) -> str:
    label = TYPE_LABELS.get(source.type, "Document")
    body = _MARKDOWN.render(without_title(source))
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(source.title)}</title><style>{STYLESHEET}</style></head><body>"
        f'<header class="title-block"><h1>{html.escape(source.title)}</h1>'
        f'<p class="meta"><span class="project">{html.escape(source.project)}</span> · '
        f"{html.escape(label)} · version {source.version} · "
        f"{source.exported_on.isoformat()}</p></header>"
        f"<main>{body}</main></body></html>"
    )


def to_pdf(source: ExportSource, *, author: str) -> bytes:
    try:
        from weasyprint import HTML, URLFetcher
    except OSError as exc:  # Pango is missing: the rest of the product still works
        raise ServiceUnavailable(
            "PDF export needs the Pango library on the server (Debian: libpango-1.0-0 and "
            "libpangoft2-1.0-0). Export as Word or Markdown meanwhile."
        ) from exc
    document = HTML(string=to_html(source), url_fetcher=URLFetcher(allowed_protocols={"data"}))
    rendered = document.render()
    rendered.metadata.title = source.title
    rendered.metadata.authors = [author]
    rendered.metadata.description = f"{TYPE_LABELS.get(source.type, 'Document')} · {source.project}"
    return bytes(rendered.write_pdf())
