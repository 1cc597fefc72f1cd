"""The event log's hash chain: sealed a few seconds after writing, and tampering is found."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text

from hub import clock
from hub.extensions import db
from hub.interactions import chain, routing
from hub.interactions.events import record
from hub.interactions.models import InteractionEvent
from tests.conftest import EWA, login
from tests.supervisor.factories import contact

WAIT = 10  # LOG_CHAIN_SEAL_SECONDS by default


def write(count: int) -> list[int]:
    """`count` staff events, committed; their ids."""
    events = [record(None, "presence", "system", status="available", n=n) for n in range(count)]
    db.session.commit()
    return [e.id for e in events]


def sealed_ids() -> list[int]:
    return list(db.session.scalars(select(InteractionEvent.id).where(
        InteractionEvent.chain_hash.is_not(None)).order_by(InteractionEvent.id)))


def all_ids() -> list[int]:
    return list(db.session.scalars(select(InteractionEvent.id).order_by(InteractionEvent.id)))


def test_events_are_sealed_in_order_once_old_enough(app):
    with app.app_context():
        write(3)
        assert chain.seal_pending() == 0  # too young: a later commit could still slot in
        clock.advance(WAIT + 1)
        assert chain.seal_pending() == len(all_ids())
        assert sealed_ids() == all_ids()
        write(2)
        assert chain.seal_pending() == 0
        clock.advance(WAIT + 1)
        assert chain.seal_pending() == 2
        assert chain.verify() is None
        result = chain.check()
        assert result.intact and result.checked == len(all_ids()) and result.pending == 0
        assert result.head_id == all_ids()[-1]


def test_the_routing_sweep_seals(app):
    with app.app_context():
        write(2)
        clock.advance(WAIT + 1)
        assert routing.sweep()["sealed"] >= 2
    with app.app_context():
        assert sealed_ids() == all_ids()


def test_an_edited_event_breaks_the_chain_there(app):
    with app.app_context():
        ids = write(5)
        clock.advance(WAIT + 1)
        chain.seal_all()
        db.session.execute(text("UPDATE interaction_events SET data = :d WHERE id = :i"),
                           {"d": '{"status": "away", "n": 2}', "i": ids[2]})
        db.session.commit()
        assert chain.verify() == ids[2]


@pytest.mark.parametrize("column, value", [
    ("kind", "signed_in"), ("actor_type", "clerk"), ("actor_id", 1),
    ("created_at", "2020-01-01 00:00:00.000000"),
])
def test_any_changed_field_is_found(app, column, value):
    with app.app_context():
        ids = write(3)
        clock.advance(WAIT + 1)
        chain.seal_all()
        db.session.execute(text(f"UPDATE interaction_events SET {column} = :v WHERE id = :i"),
                           {"v": value, "i": ids[1]})
        db.session.commit()
        assert chain.verify() == ids[1]


def test_a_deleted_event_breaks_the_chain_at_the_next_one(app):
    with app.app_context():
        ids = write(4)
        clock.advance(WAIT + 1)
        chain.seal_all()
        db.session.execute(text("DELETE FROM interaction_events WHERE id = :i"), {"i": ids[1]})
        db.session.commit()
        assert chain.verify() == ids[2]


def test_an_event_inserted_among_sealed_ones_is_found(app):
    with app.app_context():
        ids = write(3)
        db.session.execute(text("DELETE FROM interaction_events WHERE id = :i"), {"i": ids[1]})
        db.session.commit()  # a gap, as a rolled-back insert leaves one on PostgreSQL
        clock.advance(WAIT + 1)
        chain.seal_all()
        assert chain.verify() is None
        db.session.execute(text(
            "INSERT INTO interaction_events (id, kind, actor_type, data, created_at) "
            "VALUES (:i, 'signed_in', 'system', '{}', '2020-01-01 00:00:00')"), {"i": ids[1]})
        db.session.commit()
        assert chain.verify() == ids[1]
        db.session.execute(text("UPDATE interaction_events SET chain_hash = :h WHERE id = :i"),
                           {"h": "0" * 64, "i": ids[1]})  # a forged hash needs the key
        db.session.commit()
        assert chain.verify() == ids[1]


def test_rewriting_the_chain_needs_the_key(app):
    with app.app_context():
        write(3)
        clock.advance(WAIT + 1)
        chain.seal_all()
        app.config["LOG_CHAIN_KEY"] = "another key"
        assert chain.verify() == all_ids()[0]


def test_the_command_line_checks_and_prints_the_head(app, runner):
    with app.app_context():
        ids = write(3)
        clock.advance(WAIT + 1)
    result = runner.invoke(args=["log", "seal"])
    assert result.exit_code == 0 and "Sealed" in result.output
    result = runner.invoke(args=["log", "verify"])
    assert result.exit_code == 0 and result.output.startswith("Intact")
    head = runner.invoke(args=["log", "head"])
    with app.app_context():
        last = chain.head()
        assert head.output.split()[:2] == [str(last[0]), last[1]]
        db.session.execute(text("UPDATE interaction_events SET kind = 'x' WHERE id = :i"),
                           {"i": ids[0]})
        db.session.commit()
    result = runner.invoke(args=["log", "verify"])
    assert result.exit_code == 1 and f"BROKEN at event {ids[0]}" in result.output


def test_the_audit_page_shows_the_chain_and_the_last_check(app):
    ewa = login(app, EWA)
    with app.app_context():
        ids = write(3)
        clock.advance(WAIT + 1)
        chain.seal_all()
    html = ewa.get("/supervisor/audit?lang=en").get_data(as_text=True)
    assert "sealed in a keyed hash chain up to event" in html
    assert "has not been checked yet" in html
    response = ewa.post("/supervisor/audit/verify?lang=en")
    assert response.status_code == 302
    html = ewa.get("/supervisor/audit?lang=en").get_data(as_text=True)
    assert "Chain intact up to event" in html and "Checked by Ewa Wiśniewska" in html
    assert "The log is intact" in html
    with app.app_context():
        db.session.execute(text("UPDATE interaction_events SET data = '{}' WHERE id = :i"),
                           {"i": ids[1]})
        db.session.commit()
    ewa.post("/supervisor/audit/verify?lang=en")
    html = ewa.get("/supervisor/audit?lang=en").get_data(as_text=True)
    assert f"Broken at event {ids[1]}" in html
    assert f"the chain breaks at event {ids[1]}" in html


def test_the_log_only_grows(app):
    """Nothing a supervisor does removes or changes a logged event."""
    ewa = login(app, EWA)
    with app.app_context():
        interaction = contact("Zaświadczenie o zameldowaniu.")
        write(2)
        before = {e.id: (e.kind, e.data, e.created_at)
                  for e in db.session.scalars(select(InteractionEvent))}
    count = len(before)
    for step in (lambda: ewa.get(f"/supervisor/interactions/{interaction}"),
                 lambda: ewa.get("/supervisor/interactions?q=zameldowaniu"),
                 lambda: ewa.get("/supervisor/interactions.csv").get_data(),
                 lambda: ewa.post("/supervisor/audit/verify"),
                 lambda: ewa.get("/supervisor/audit")):
        step()
        with app.app_context():
            now = db.session.scalar(select(func.count(InteractionEvent.id)))
            assert now >= count
            count = now
            for event in db.session.scalars(select(InteractionEvent).where(
                    InteractionEvent.id.in_(before))):
                assert before[event.id] == (event.kind, event.data, event.created_at)
    assert count > len(before)


def test_no_route_edits_or_deletes_events(app):
    for rule in app.url_map.iter_rules():
        changes = rule.methods & {"PUT", "PATCH", "DELETE"}
        about_the_log = any(word in rule.rule for word in ("event", "audit", "timeline", "log"))
        assert not (changes and about_the_log), rule.rule
    posts = [r.rule for r in app.url_map.iter_rules()
             if "POST" in r.methods and r.rule.startswith("/supervisor/audit")]
    assert posts == ["/supervisor/audit/verify"]  # it only adds its own outcome


def test_a_stale_remembered_head_does_not_stop_sealing(app):
    from hub.queue import router

    with app.app_context():
        write(3)
        clock.advance(WAIT + 1)
        chain.seal_all()
        first = sealed_ids()[0]
        stale = db.session.scalar(select(InteractionEvent.chain_hash).where(
            InteractionEvent.id == first))
        router().redis.set(router().prefix + "chain-head", f"{first}:{stale}")
        write(2)
        clock.advance(WAIT + 1)
        assert chain.seal_pending() == 2
        assert sealed_ids() == all_ids() and chain.verify() is None
