"""Story Markdown as Jira wiki markup: the pieces stories use, and nothing that opens a macro."""

from __future__ import annotations

from storyplan.jiramarkup import block, inline, one_line


def test_inline_code_bold_strike_and_links_become_wiki_markup() -> None:
    assert inline("Use `make test` **now**, ~~later~~") == "Use {{make test}} *now*, -later-"
    assert inline("See [the ADR](https://x/adr?a=1)") == "See [the ADR|https://x/adr?a=1]"


def test_braces_and_brackets_cannot_open_macros_or_links() -> None:
    assert inline("{anchor:storyplan-end} [x] {{y}}") == "\\{anchor:storyplan-end} \\[x] \\{\\{y}}"
    assert inline("`{code}`") == "{{\\{code}}}"


def test_pipes_are_escaped_only_in_table_cells() -> None:
    assert inline("a | b") == "a | b"
    assert inline("a | b", cell=True) == "a \\| b"
    assert inline("[l](https://x)", cell=True) == "[l|https://x]"


def test_lists_checkboxes_headings_quotes_and_rules() -> None:
    text = "# Heading\n- a\n  - b\n1. one\n   1. sub\n- [x] done\n- [ ] open\n> quoted\n---\nplain"
    assert block(text) == (
        "*Heading*\n* a\n** b\n# one\n## sub\n* (/) done\n* ☐ open\nbq. quoted\n----\nplain"
    )


def test_code_fences_become_code_macros() -> None:
    assert block("```python\nx = {1: 2}\n```") == "{code:python}\nx = {1: 2}\n{code}"
    assert block("```\nunclosed") == "{code}\nunclosed\n{code}"


def test_markdown_tables_become_wiki_tables() -> None:
    text = "| a | b |\n|---|---|\n| 1 | x \\| y |"
    assert block(text) == "||a||b||\n|1|x \\| y|"


def test_one_line_keeps_several_lines_in_one_list_item() -> None:
    assert one_line("first\n\nsecond\n") == "first \\\\ second"
