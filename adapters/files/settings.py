"""The files tracker's `[files]` settings; pydantic only."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class FilesSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    plan_suffix: str = ".plan.md"
    tasks_suffix: str = ".tasks"
