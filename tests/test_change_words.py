"""Every kind of change has its words wherever changes are counted or shown."""

from __future__ import annotations

from typing import get_args

from storyplan.activity import DOING
from storyplan.bodydiff import SUMMARY
from storyplan.execute import VERBS
from storyplan.ports import Change


def test_every_change_kind_is_named_in_every_table() -> None:
    union = get_args(Change)[0]
    kinds = {model.model_fields["kind"].default for model in get_args(union)}
    assert kinds == set(VERBS)
    assert kinds == set(DOING)
    assert kinds - {"upsert_plan"} == set(SUMMARY)
