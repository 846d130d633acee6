"""Tracker adapters, one module per tracker, each behind `storyplan.ports.Tracker`."""
