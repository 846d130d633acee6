"""Jira markup converts in time linear in its length whatever its shape, never raises, and maps
every Markdown line to a Jira line in order; the shapes that stalled the old converter convert
quickly and as they should."""

from __future__ import annotations

import time

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from storyplan.parse.jira import to_markdown
from storyplan.parse.jirawiki import convert

MAX_CHARS = 65_536
# CPU seconds per KB, and for any input: conversion takes about a millisecond per KB of the
# worst shape known, so only super-linear work (the old converter took 50 s for 3,000 `[`)
# comes near this.
PER_KB = 0.02
AT_LEAST = 0.1

PIECES = st.sampled_from(
    [
        *" a[]{}|*-+_~^!\\\n(",
        "{{",
        "}}",
        "||",
        "\\\\",
        "(/)",
        "(x)",
        "☐",
        "{code}",
        "{code:python}",
        "{noformat}",
        "{quote}",
        "{panel:title=a}",
        "{panel}",
        "{color:red}",
        "{color}",
        "h2. ",
        "h3. Task 1: ",
        "bq. ",
        "* ",
        "# ",
        "** ",
        "#* ",
        "- ",
        "----",
        "[a|http://x]",
        "[~u]",
        "http://x/",
        "*Depends on*: ",
        "Task 2, ",
    ]
)
RUNS = st.tuples(PIECES, st.integers(min_value=1, max_value=MAX_CHARS)).map(
    lambda pair: pair[0] * pair[1]
)
BODIES = st.lists(st.one_of(RUNS, PIECES, st.text(max_size=40)), min_size=1, max_size=12).map(
    lambda parts: "".join(parts)[:MAX_CHARS]
)


def budget(text: str) -> float:
    return max(AT_LEAST, PER_KB * len(text) / 1024)


def convert_seconds(text: str) -> tuple[float, list[str], list[int]]:
    started = time.process_time()
    lines, origins = convert(text)
    return time.process_time() - started, lines, origins


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=BODIES)
@example(body="h2. Tasks\n" + "[" * 3000 + "\n")
@example(body="[" * MAX_CHARS)
@example(body="{" * MAX_CHARS)
@example(body="{code:" * (MAX_CHARS // 6))
@example(body="{color:" * (MAX_CHARS // 7))
@example(body="*a " * (MAX_CHARS // 3))
@example(body="*-+" * (MAX_CHARS // 3) + "x" + "+-*" * (MAX_CHARS // 3))
@example(body="|a\n" + "x\n" * (MAX_CHARS // 2 - 2))
@example(body="".join("*" * depth + " a\n" for depth in range(1, 201)) + "x\n" * 20_000)
def test_any_jira_markup_converts_within_a_budget_per_kb(body: str) -> None:
    spent, lines, origins = convert_seconds(body)
    assert spent < budget(body), f"{len(body)} characters took {spent:.2f} s: {body[:80]!r}"
    assert sum(len(line) + 1 for line in lines) <= 8 * len(body) + 100, "linear in size too"
    assert len(lines) == len(origins)
    assert origins == sorted(origins), "Markdown lines come in the order of their Jira lines"
    assert all(1 <= origin <= body.count("\n") + 1 for origin in origins)


@settings(max_examples=200, deadline=None)
@given(body=st.text(max_size=500))
def test_any_text_converts_without_raising(body: str) -> None:
    text, to_original = to_markdown(body, "SHOP-1")
    assert isinstance(text, str)
    assert all(to_original(n) >= 1 for n in range(1, text.count("\n") + 2))


def test_three_thousand_brackets_after_a_heading_stay_text() -> None:
    body = "h2. Tasks\n" + "[" * 3000 + "\n"
    spent, lines, _ = convert_seconds(body)
    assert lines == ["## Tasks", "[" * 3000]
    assert spent < budget(body)


def test_fifty_thousand_spaces_are_read_as_one_line_of_words() -> None:
    body = "h3. Task 1: Do\n\na" + " " * 50_000 + "b\n* " + " " * 50_000 + "x\n"
    spent, lines, _ = convert_seconds(body)
    assert lines == ["### Task 1: Do", "", "a" + " " * 50_000 + "b", "- x"]
    assert spent < budget(body)


def test_deep_list_nesting_climbs_one_level_a_line() -> None:
    body = "".join("*" * depth + f" item {depth}\n" for depth in range(1, 501))
    spent, lines, _ = convert_seconds(body)
    assert lines[2] == "    - item 3"
    assert lines[-1] == " " * 998 + "- item 500"
    assert spent < budget(body)


def test_five_thousand_braces_stay_text() -> None:
    body = "h2. Tasks\n* " + "{" * 5000 + " x\n"
    spent, lines, _ = convert_seconds(body)
    assert lines == ["## Tasks", "- " + "{" * 5000 + " x"]
    assert spent < budget(body)


def test_an_unclosed_code_block_is_text_and_the_tasks_after_it_are_read() -> None:
    items = "".join(f"* Step {n} {{code:java}} {{noformat:x}}\n" for n in range(3000))
    body = "h2. Tasks\n{code}\n" + items
    spent, lines, origins = convert_seconds(body)
    assert lines[:3] == ["## Tasks", "{code}", "- Step 0 {code:java} {noformat:x}"]
    assert lines[-1] == "- Step 2999 {code:java} {noformat:x}"
    assert origins == list(range(1, 3003))
    assert spent < budget(body)
