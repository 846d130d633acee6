"""Requests of `storyplan sync --all` against the fake GitHub, then the fake GitLab: 100
planned stories of 8 tasks each, of which 10 progressed (a sub-issue closed). Prints requests,
writes (mutations carried out), connections opened (GitHub) and wall time, each beside the
issue's target (GitLab: requests per story beside the target of 2 for syncing one story).

Run from the repository root: python benchmarks/sync_requests.py (GitHub), or with
jira-cloud / jira-dc for Jira's rows.
"""

from __future__ import annotations

import contextlib
import io
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from storyplan.cli import main as cli
from tests.e2e.harness_github import github_harness
from tests.e2e.stories import diamond, story_text

STORIES, CHANGED = 100, 10


def main() -> int:
    with github_harness() as gh, contextlib.redirect_stdout(io.StringIO()):
        fake = gh.fake
        numbers = []
        for index in range(STORIES):
            issue = fake.add_issue("octo/shop", f"Story {index}", story_text(diamond(8)))
            numbers.append(issue.number)
            if cli(["apply", f"octo/shop#{issue.number}"]) != 0:
                raise SystemExit("seeding failed")
        for number in numbers[:CHANGED]:
            child = fake.sub_issues("octo/shop", number)[0]
            with fake.lock:
                child.state, child.state_reason = "closed", "completed"
        fake.clear_log()
        connections = len(fake.connections)
        start = time.perf_counter()
        code = cli(["sync", "--all", "github:octo/shop", "--json"])
        elapsed = time.perf_counter() - start
        requests, writes = len(fake.log), fake.write_count()
        opened = len(fake.connections) - connections
        fake.clear_log()
        one = cli(["sync", f"octo/shop#{numbers[-1]}"])  # unchanged since it was planned
        one_requests, one_writes = len(fake.log), fake.write_count()
    if code != 0 or one != 0:
        print(f"sync --all failed with exit code {code}", file=sys.stderr)
        return 1
    print(f"\nsync --all, GitHub: {STORIES} stories x 8 tasks, {CHANGED} progressed")
    print(f"requests    {requests:>5}  ({requests / STORIES:.2f} per story)   target <= 20")
    print(f"writes      {writes:>5}  (one per changed story)   target {CHANGED}")
    print(f"connections {opened:>5}                            target 1")
    print(f"wall        {elapsed:>5.2f} s ({1000 * elapsed / STORIES:.0f} ms per story, loopback)")
    print(
        f"\nsync of one unchanged story: {one_requests} request(s), {one_writes} writes   "
        "target 1 request, 0 writes"
    )
    return 0


def gitlab_main() -> int:
    from tests.e2e.harness_gitlab import PROJECT, gitlab_harness

    with gitlab_harness() as gl, contextlib.redirect_stdout(io.StringIO()):
        fake = gl.fake
        issues = []
        for index in range(STORIES):
            issue = fake.add_issue(PROJECT, f"Story {index}", description=story_text(diamond(8)))
            issues.append(issue)
            if cli(["apply", f"gitlab:{PROJECT}#{issue.iid}"]) != 0:
                raise SystemExit("seeding failed")
        for issue in issues[:CHANGED]:
            child = fake.children(issue)[0]
            with fake.lock:
                child.state = "closed"
        gl.mark()
        start = time.perf_counter()
        code = cli(["sync", "--all", f"gitlab:{PROJECT}", "--json"])
        elapsed = time.perf_counter() - start
        requests, writes = gl.requests(), gl.writes()
    if code != 0:
        print(f"sync --all failed with exit code {code}", file=sys.stderr)
        return 1
    print(f"\nsync --all, GitLab: {STORIES} stories x 8 tasks, {CHANGED} progressed")
    print(f"requests {requests:>5}  ({requests / STORIES:.2f} per story; target <= 2 a story)")
    print(f"writes   {writes:>5}  ({writes / STORIES:.2f} per story; one per changed story)")
    print(f"wall     {elapsed:>5.2f} s ({1000 * elapsed / STORIES:.0f} ms per story, loopback)")
    return 0


def jira(names: list[str]) -> int:
    """The Jira rows (jira-cloud, jira-dc): one story's sync and `sync --all`, with the
    stories parsed beside the requests and targets (see benchmarks/jira_requests.py)."""
    from jira_requests import sync_only

    return sync_only(names)


if __name__ == "__main__":
    jira_names = [name for name in sys.argv[1:] if name.startswith("jira")]
    sys.exit(jira(jira_names) if jira_names else main() or gitlab_main())
