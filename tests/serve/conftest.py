"""Fixtures of the webhook service's tests: a real PostgreSQL for the session, a fresh
database for each test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.serve.postgres import Cluster, server_bin


@pytest.fixture(scope="session")
def postgres() -> Iterator[Cluster]:
    bin_dir = server_bin()
    if bin_dir is None:
        pytest.skip("no PostgreSQL server here (initdb not found): apt-get install postgresql")
    cluster = Cluster(bin_dir).start()
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def database(postgres: Cluster) -> str:
    return postgres.new_database()
