"""`GET /metrics`: the queue and the request budgets as every worker left them in the
database (jobs by status, requests and rate-limit waits by tracker), and this process's
webhook counts. Read at scrape time, so any one receiver shows the whole service.
"""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

TASKS = ("act", "sweep", "recover", "cleanup")
JOB_STATUSES = ("todo", "doing", "succeeded", "failed", "cancelled", "aborted")


class QueueCollector(Collector):
    def __init__(self, conninfo: str) -> None:
        self.conninfo = conninfo

    def collect(self) -> Iterator[Metric]:
        jobs = GaugeMetricFamily(
            "storyplan_jobs",
            "Jobs by task and status (todo: queued, doing: running)",
            labels=["task", "status"],
        )
        requests = CounterMetricFamily(
            "storyplan_tracker_requests", "Requests sent to each tracker", labels=["tracker"]
        )
        waits = CounterMetricFamily(
            "storyplan_rate_limit_waits",
            "Requests that waited for their budget",
            labels=["tracker"],
        )
        waited = CounterMetricFamily(
            "storyplan_rate_limit_wait_seconds",
            "Seconds spent waiting for budgets",
            labels=["tracker"],
        )
        with psycopg.connect(self.conninfo, autocommit=True, connect_timeout=5) as connection:
            counts = {
                (task, status): count
                for task, status, count in connection.execute(
                    "SELECT task_name, status::text, count(*) FROM procrastinate_jobs "
                    "WHERE task_name LIKE 'storyplan.%' GROUP BY task_name, status"
                ).fetchall()
            }
            budgets = connection.execute(
                "SELECT tracker, sum(requests), sum(waits), sum(waited_seconds) "
                "FROM storyplan_budget GROUP BY tracker ORDER BY tracker"
            ).fetchall()
        for task in TASKS:
            for status in JOB_STATUSES:
                jobs.add_metric([task, status], float(counts.get((f"storyplan.{task}", status), 0)))
        for tracker, sent, waited_count, seconds in budgets:
            requests.add_metric([tracker], float(sent))
            waits.add_metric([tracker], float(waited_count))
            waited.add_metric([tracker], float(seconds))
        yield from (jobs, requests, waits, waited)
