"""Story parsing: Markdown (and converted Jira markup) to a plan model."""

from storyplan.parse.story import parse_story

__all__ = ["parse_story"]
