"""Load on the webhook service: N `issues.labeled` events over M stories, sent as fast as a
few clients can, to `storyplan serve` with W `storyplan worker` processes, a real PostgreSQL
and the fake GitHub. Prints events/s accepted, how long an answer took, end-to-end latency
(event sent -> a job that started after it finished), requests and jobs per story, and
duplicates (must be 0).

Run from the repository root: python benchmarks/serve_load.py [N M W]   (1000 100 4)
"""

from __future__ import annotations

import random
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from storyplan import markers
from tests.e2e.harness_github import github_harness
from tests.e2e.stories import diamond, story_text
from tests.serve.postgres import Cluster, server_bin
from tests.serve.service import Service, labeled

CLIENTS = 8
LATENCY = 0.005  # seconds a fake request takes: a tracker round trip on a fast network


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main(events: int, stories: int, workers: int) -> int:
    bin_dir = server_bin()
    if bin_dir is None:
        print("no PostgreSQL server here (initdb not found): apt-get install postgresql")
        return 1
    cluster = Cluster(bin_dir).start()
    try:
        with github_harness() as gh, tempfile.TemporaryDirectory() as root:
            return run(gh, cluster.new_database(), Path(root), events, stories, workers)
    finally:
        cluster.stop()


def run(gh: object, database: str, root: Path, events: int, stories: int, workers: int) -> int:
    fake = gh.fake  # type: ignore[attr-defined]
    fake.set_role("alice", "write")
    fake.latency = LATENCY
    numbers = [gh.story.number]  # type: ignore[attr-defined]
    numbers += [fake.add_issue("octo/shop", f"Story {i}", "").number for i in range(stories - 1)]
    for number in numbers:
        fake.issue("octo/shop", number).body = story_text(diamond(5))
    order = [numbers[i % stories] for i in range(events)]
    random.Random(7).shuffle(order)
    service = Service(database, root).start(workers=False)
    try:
        for _ in range(workers):
            service.worker()
        sent: list[tuple[int, float, float, str]] = []  # story, sent at, answer took, outcome
        lock = threading.Lock()
        queue = list(enumerate(order))

        def client() -> None:
            while True:
                with lock:
                    if not queue:
                        return
                    _, number = queue.pop()
                started = time.time()
                answer = service.github("issues", labeled(number))
                took = time.time() - started
                with lock:
                    sent.append((number, started, took, answer.json().get("outcome", "")))

        threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
        began = time.time()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        sending = time.time() - began
        service.wait_idle(timeout=1800)
        finished_all = time.time() - began
        report(service, fake, sent, sending, finished_all, events, stories, workers)
        return 0
    finally:
        service.stop()


def report(
    service: Service,
    fake: object,
    sent: list[tuple[int, float, float, str]],
    sending: float,
    finished_all: float,
    events: int,
    stories: int,
    workers: int,
) -> None:
    rows = service.query(
        "SELECT j.lock, j.status::text, "
        "min(extract(epoch FROM e.at)) FILTER (WHERE e.type = 'started'), "
        "max(extract(epoch FROM e.at)) FILTER (WHERE e.type IN ('succeeded', 'failed')) "
        "FROM procrastinate_jobs j JOIN procrastinate_events e ON e.job_id = j.id "
        "WHERE j.task_name = 'storyplan.act' GROUP BY j.id, j.lock, j.status ORDER BY j.id"
    )
    runs: dict[str, list[tuple[float, float]]] = {}
    failed = 0
    for lock, status, started, finished in rows:
        failed += status != "succeeded"
        runs.setdefault(lock, []).append((float(started), float(finished)))
    latencies = []
    for number, at, _, _ in sent:
        after = [end for start, end in runs.get(f"github:octo/shop#{number}", []) if start >= at]
        if after:
            latencies.append(min(after) - at)
    answers = [took for _, _, took, _ in sent]
    outcomes = Counter(outcome for _, _, _, outcome in sent)
    duplicates = 0
    made = Counter(
        (mark.get("story"), mark.get("id"))
        for child in fake.issues_in("octo/shop")  # type: ignore[attr-defined]
        if (mark := markers.read_identity(child.body or "", "task"))
    )
    duplicates += sum(count - 1 for count in made.values())
    for number in {number for number, _, _, _ in sent}:
        plans = [
            c
            for c in fake.comments_on("octo/shop", number)  # type: ignore[attr-defined]
            if "storyplan:plan" in c.body
        ]
        duplicates += max(0, len(plans) - 1)
    requests = len(fake.log)  # type: ignore[attr-defined]
    print(
        f"serve_load: {events} events over {stories} stories, {workers} workers, "
        f"{LATENCY * 1000:.0f} ms a tracker request, no request budget (the fake has no limit)"
    )
    print(f"  outcomes                 {dict(outcomes)}")
    print(f"  accepted                 {events / sending:8.1f} events/s  ({sending:.2f} s)")
    print(
        f"  answer p50 / p95 / max   {statistics.median(answers) * 1000:8.1f} / "
        f"{percentile(answers, 0.95) * 1000:.1f} / {max(answers) * 1000:.1f} ms"
        "   (target: under 1,000 ms)"
    )
    print(
        f"  end-to-end p50 / p95     {statistics.median(latencies):8.2f} / "
        f"{percentile(latencies, 0.95):.2f} s  ({len(latencies)} of {events} events matched)"
    )
    print(f"  all done after           {finished_all:8.2f} s")
    print(f"  jobs run                 {len(rows):8d}  ({len(rows) / stories:.2f} a story)")
    print(f"  failed jobs              {failed:8d}  (target: 0)")
    print(f"  requests per story       {requests / stories:8.1f}")
    print(f"  duplicates               {duplicates:8d}  (target: 0)")


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:4]] or [1000, 100, 4]
    raise SystemExit(main(*args))
