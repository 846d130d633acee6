"""Requests and wall time of apply against the fake Jira, Cloud and Data Center (20 tasks,
25 edges).

Run from the repository root: python benchmarks/jira_requests.py
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from requests_per_apply import main

if __name__ == "__main__":
    sys.exit(main(["jira-cloud", "jira-dc"]))
