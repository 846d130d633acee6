"""Jira wiki markup reads as the Markdown it means: each construct a story uses, in and out."""

from __future__ import annotations

import pytest

from storyplan.parse.jira import to_markdown


def md(text: str) -> str:
    return to_markdown(text, "SHOP-1")[0]


@pytest.mark.parametrize("level", range(1, 7))
def test_headings_of_every_level_become_markdown_headings(level: int) -> None:
    assert md(f"h{level}. Sign *in*") == "#" * level + " Sign **in**"


def test_a_heading_needs_its_space_and_keeps_a_trailing_hash() -> None:
    assert md("h2.Tasks") == "h2.Tasks"
    assert md("h2. Use C#") == "## Use C\\#"


def test_bullets_numbers_and_dashes_become_lists_nested_under_their_parents() -> None:
    jira = "* one\n** two\n*** three\n* four\n# first\n## second\n#* bullet under number\n- dash"
    assert md(jira) == (
        "- one\n  - two\n    - three\n- four\n1. first\n   1. second\n   - bullet under number\n"
        "- dash"
    )


def test_a_number_under_a_bullet_sits_at_the_bullets_text() -> None:
    assert md("* parent\n*# child") == "- parent\n  1. child"


def test_a_mark_deeper_than_the_list_allows_nests_one_level_only() -> None:
    assert md("*** lonely\n***** deeper") == "- lonely\n  - deeper"


def test_a_list_item_continues_on_the_next_line_until_a_blank_one() -> None:
    assert md("* first line\nsecond line\n\nafter") == "- first line\n  second line\n\nafter"


def test_a_heading_ends_a_list() -> None:
    assert md("* item\nh3. Task 2: Next") == "- item\n### Task 2: Next"


def test_icons_at_the_start_of_an_item_are_checkboxes_and_other_icons_stay() -> None:
    assert md("* (/) done\n* (x) open\n* ☐ open too\n* (!) careful") == (
        "- [x] done\n- [ ] open\n- [ ] open too\n- (!) careful"
    )


def test_a_table_gets_its_separator_row_and_a_blank_line_around_it() -> None:
    jira = "Risks:\n||Risk||Mitigation||\n|Leak|Redact [logs|https://x/logs]|\nafter"
    assert md(jira) == (
        "Risks:\n\n|Risk|Mitigation|\n|---|---|\n|Leak|Redact [logs](https://x/logs)|\n\nafter"
    )


def test_a_short_header_row_is_widened_and_escaped_bars_stay_in_their_cell() -> None:
    assert md("||a||\n|1|x \\| y|") == "|a| |\n|---|---|\n|1|x \\| y|"


def test_a_cell_without_its_closing_bar_runs_on_to_the_next_line() -> None:
    assert md("||a||b||\n|1|two\nlines|\n") == "|a|b|\n|---|---|\n|1|two<br>lines|"


def test_code_blocks_keep_their_text_and_language() -> None:
    assert md("{code:python}\nx = {1: *2*}\n{code}") == "```python\nx = {1: *2*}\n```"
    assert md("{code:title=a.py|borderStyle=solid}\nx\n{code}") == "```\nx\n```"
    assert md("{noformat}\n* not a list\n{noformat}") == "```\n* not a list\n```"


def test_a_code_block_on_one_line_and_backticks_inside_it() -> None:
    assert md("Run {code}make ``test``{code} now") == "Run\n```\nmake ``test``\n```\nnow"


def test_the_storyplan_block_becomes_a_storyplan_fence() -> None:
    assert md("{code:storyplan}\ntech_lead: Bo\n{code}") == "```storyplan\ntech_lead: Bo\n```"


def test_quotes_and_panels_become_markdown_quotes() -> None:
    assert md("{quote}\nSaid *once*\n{quote}\nafter") == "> Said **once**\n\nafter"
    assert md("{panel:title=Note|borderStyle=dashed}\n* a\n{panel}") == "> **Note**\n> - a"
    assert md("bq. quoted\nbq. again\nafter") == "> quoted\n> again\n\nafter"


def test_a_code_block_inside_a_panel_is_quoted_whole() -> None:
    assert md("{panel}\n{code}\nx\n{code}\n{panel}") == "> ```\n> x\n> ```"


def test_a_rule_cannot_turn_the_paragraph_above_into_a_heading() -> None:
    assert md("text\n----\nmore") == "text\n***\nmore"
    assert md("text\n---") == "text\n\\---"


def test_inline_marks_become_markdown() -> None:
    jira = "*bold* _italic_ {{mono}} -strike- +ins+ ^sup^"
    assert md(jira) == "**bold** _italic_ `mono` ~~strike~~ <u>ins</u> ^sup^"


def test_marks_inside_words_and_dates_are_text() -> None:
    assert md("a-b-c 2025-03-14 x*y*z snake_case_name") == (
        "a-b-c 2025-03-14 x\\*y\\*z snake_case_name"
    )


def test_monospace_keeps_its_text_as_written() -> None:
    assert md("{{src/*_test-*.py}} and {{a`b}}") == "`src/*_test-*.py` and ``a`b``"


def test_links_mentions_and_references() -> None:
    jira = "[the ADR|https://x/adr?a=1] [https://x/y] [~priya] [~accountid:5b10] [SHOP-12] [a|S-2]"
    assert md(jira) == (
        "[the ADR](https://x/adr?a=1) <https://x/y> @priya @5b10 [SHOP-12] [a\\|S-2]"
    )


def test_mail_links_and_bare_urls_keep_their_marks() -> None:
    assert md("[mailto:a@b.io] [Ann|mailto:a@b.io]") == "<a@b.io> [Ann](mailto:a@b.io)"
    assert md("see https://x/-a-/*b* now") == "see https://x/-a-/*b* now"


def test_colour_is_dropped_and_its_words_kept() -> None:
    assert md("{color:#0747a6}_Fill this in._{color} done") == "_Fill this in._ done"


def test_a_line_break_starts_a_new_line_in_text_and_items() -> None:
    assert md("first \\\\ second") == "first\nsecond"
    assert md("* first \\\\ second") == "- first\n  second"
    assert md("h2. A \\\\ B") == "## A B"


def test_escapes_keep_marks_from_opening_anything() -> None:
    assert md("\\*not bold\\* \\[not a link] \\{code}") == "\\*not bold\\* \\[not a link] \\{code}"
    assert md("\\{code}\n\n* item\n\n\\{code}") == "\\{code}\n\n- item\n\n\\{code}"


def test_markdown_checkboxes_written_in_jira_stay_checkboxes() -> None:
    assert md("* [ ] open\n* [x] done") == "- [ ] open\n- [x] done"
