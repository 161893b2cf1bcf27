"""The tiny Markdown renderer behind /guides: escaping first, then a few marks."""

from pathlib import Path

from app.web.guides import guide_path, list_guides, render_markdown


def test_markup_in_a_guide_is_escaped() -> None:
    html = render_markdown("Hello <script>alert(1)</script> & **bold** `<b>`")

    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    assert "<strong>bold</strong>" in html
    assert "<code>&lt;b&gt;</code>" in html


def test_headings_lists_code_links_and_images() -> None:
    source = "\n".join(
        [
            "# Title",
            "Some text",
            "continued.",
            "",
            "- one",
            "  more of one",
            "- two",
            "1. first",
            "",
            "```bash",
            "make run <x>",
            "```",
            "[guide](OTHER.md) [site](https://example.com) [bad](javascript:alert(1))",
            "![shot](img/dashboard.png)",
            "    - indented code-ish line",
            "```",
            "unterminated",
        ]
    )

    html = render_markdown(source)

    assert "<h1>Title</h1>" in html
    assert "<p>Some text continued.</p>" in html
    assert "<ul>" in html
    assert "<li>one more of one</li>" in html
    assert "<ol>" in html
    assert "<pre><code>make run &lt;x&gt;</code></pre>" in html
    assert 'href="/guides/OTHER"' in html
    assert 'href="https://example.com"' in html
    assert 'href="#"' in html
    assert 'src="/guides/img/dashboard.png"' in html
    assert "<pre><code>unterminated</code></pre>" in html


def test_tables_become_html_tables() -> None:
    source = "Intro\n| name | value |\n| --- | --- |\n| a | `<b>` |\nAfter"

    html = render_markdown(source)

    assert "<p>Intro</p>" in html
    assert '<th scope="col">name</th>' in html
    assert "<td>a</td><td><code>&lt;b&gt;</code></td>" in html
    assert "<p>After</p>" in html


def test_guides_are_found_by_safe_names_only(tmp_path: Path) -> None:
    (tmp_path / "GOOD_GUIDE.md").write_text("# Good")
    (tmp_path / "bad name.md").write_text("# Bad")

    assert list_guides(tmp_path) == ["GOOD_GUIDE"]
    assert guide_path("GOOD_GUIDE", tmp_path) == tmp_path / "GOOD_GUIDE.md"
    assert guide_path("../etc", tmp_path) is None
    assert guide_path("MISSING", tmp_path) is None
