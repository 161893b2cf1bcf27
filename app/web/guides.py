"""The Markdown guides in docs/, rendered read-only as plain, escaped HTML.

A deliberately small subset (headings, paragraphs, lists, fenced code, inline code, emphasis,
links, images) so the landing page needs no Markdown dependency; every piece of source text
is escaped before any tag is added, so a guide cannot inject markup.
"""

import re
from pathlib import Path

from markupsafe import Markup, escape

DOCS_DIR = Path(__file__).resolve().parent.parent.parent / "docs"
_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_IMAGE = re.compile(r"!\[([^\]]*)\]\(([^)\s]+)\)")
_LINK = re.compile(r"\[([^\]]+)\]\(([^)\s]+)\)")
_CODE = re.compile(r"`([^`]+)`")
_STRONG = re.compile(r"\*\*([^*]+)\*\*")
_TABLE_RULE = re.compile(r"^\|?\s*:?-{3,}")
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")


def list_guides(root: Path = DOCS_DIR) -> list[str]:
    return sorted(p.stem for p in root.glob("*.md") if _NAME.match(p.stem))


def guide_path(name: str, root: Path = DOCS_DIR) -> Path | None:
    if not _NAME.match(name):
        return None
    path = root / f"{name}.md"
    return path if path.is_file() else None


def _url(raw: str) -> str:
    scheme = _SCHEME.match(raw)
    if scheme and scheme.group(1).lower() not in ("http", "https"):
        return "#"
    url = raw
    if url.startswith("img/"):
        return f"/guides/{url}"
    if url.endswith(".md") and "/" not in url:
        return f"/guides/{url[:-3]}"
    return url


def _inline(text: str) -> str:
    """Escape first, then turn the (escaped) Markdown marks into tags."""
    out = str(escape(text))
    codes: list[str] = []

    def keep_code(match: re.Match[str]) -> str:
        codes.append(match.group(1))
        return f"\x00{len(codes) - 1}\x00"

    out = _CODE.sub(keep_code, out)
    out = _IMAGE.sub(lambda m: f'<img src="{_url(m.group(2))}" alt="{m.group(1)}">', out)
    out = _LINK.sub(lambda m: f'<a href="{_url(m.group(2))}">{m.group(1)}</a>', out)
    out = _STRONG.sub(r"<strong>\1</strong>", out)
    return re.sub(r"\x00(\d+)\x00", lambda m: f"<code>{codes[int(m.group(1))]}</code>", out)


def _table(rows: list[list[str]]) -> str:
    head, *body = rows
    cells = "".join(f'<th scope="col">{_inline(cell)}</th>' for cell in head)
    lines = [f"<table><thead><tr>{cells}</tr></thead><tbody>"]
    for row in body:
        lines.append("<tr>" + "".join(f"<td>{_inline(cell)}</td>" for cell in row) + "</tr>")
    lines.append("</tbody></table>")
    return "".join(lines)


def render_markdown(source: str) -> Markup:
    html: list[str] = []
    paragraph: list[str] = []
    list_tag: str | None = None
    code: list[str] | None = None
    table: list[list[str]] = []

    def flush() -> None:
        nonlocal list_tag
        if table:
            html.append(_table(table))
            table.clear()
        if paragraph:
            html.append(f"<p>{_inline(' '.join(paragraph))}</p>")
            paragraph.clear()
        if list_tag:
            html.append(f"</{list_tag}>")
            list_tag = None

    for line in source.splitlines():
        if code is not None:
            if line.startswith("```"):
                html.append(f"<pre><code>{escape(chr(10).join(code))}</code></pre>")
                code = None
            else:
                code.append(line)
            continue
        stripped = line.strip()
        heading = re.match(r"^(#{1,6})\s+(.*)$", stripped)
        item = re.match(r"^(?:[-*]|(\d+)\.)\s+(.*)$", stripped)
        if line.startswith("```"):
            flush()
            code = []
        elif stripped.startswith("|"):
            if not table:
                flush()
            cells = [cell.strip() for cell in stripped.strip("|").split("|")]
            if not _TABLE_RULE.match(stripped):
                table.append(cells)
        elif heading:
            flush()
            level = len(heading.group(1))
            html.append(f"<h{level}>{_inline(heading.group(2))}</h{level}>")
        elif item and not line.startswith("    "):
            tag = "ol" if item.group(1) else "ul"
            if paragraph or list_tag != tag:
                flush()
                html.append(f"<{tag}>")
                list_tag = tag
            html.append(f"<li>{_inline(item.group(2))}</li>")
        elif not stripped:
            flush()
        elif list_tag and line.startswith(" "):
            html[-1] = html[-1].removesuffix("</li>") + " " + _inline(stripped) + "</li>"
        else:
            if list_tag or table:
                flush()
            paragraph.append(stripped)
    if code is not None:
        html.append(f"<pre><code>{escape(chr(10).join(code))}</code></pre>")
    flush()
    return Markup("\n".join(html))
