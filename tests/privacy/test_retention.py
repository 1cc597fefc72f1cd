"""What remains after the retention purge: the statistics and the timeline, and none of the
residents' names, numbers, addresses or words."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from channels.models import OptOut
from channels.sms_sending import store_text
from hub import settings
from hub.booking.models import Booking
from hub.extensions import db
from hub.interactions.models import Interaction, InteractionEvent, Message
from hub.interactions.search import LogFilters, search
from hub.privacy.anonymise import ERASED
from tests.channels.test_sms import sms_in
from tests.conftest import ADMIN, login
from tests.privacy.conftest import (
    RETENTION_DAYS,
    WEDNESDAY,
    callback,
    chat,
    past_retention,
    sms,
    travel_to,
    visit,
)

# What the old contacts held, in every form it could be stored in.
OLD_SECRETS = (
    "Bożena Przybylska", "Przybylska", "Lipowej", "85010112345", "uprzejma", "sąsiadka",
    "+48601234567", "601234567", "601 234 567", "Nieruchomość na Zielonej",
    "+48602345678", "602345678", "Halina Kiepska", "Kiepska",
    "+48603456789", "603456789", "Grzegorz Brzęczyszczykiewicz", "Brzęczyszczykiewicz",
    "grzegorz.b@example.pl", "pomocna",
)
RECENT_SECRETS = ("Jadwiga Świeża", "Różanej", "+48604567890", "Sprawa z tego roku")

# The columns statistics, reports and reviews use: a purge must leave every one as it was.
KEPT = {
    "interactions": ("id", "channel", "department_id", "state", "clerk_id", "created_at",
                     "queued_at", "assigned_at", "first_response_at", "closed_at",
                     "disposition", "csat", "tags", "mystery_shopper"),
    "messages": ("id", "interaction_id", "kind", "author_id", "delivery", "created_at",
                 "external_id"),
    "callbacks": ("id", "interaction_id", "requested_via", "window_start", "window_end",
                  "outcome", "created_at"),
    "call_attempts": ("id", "interaction_id", "clerk_id", "status", "resident_status",
                      "talk_seconds", "call_seconds", "started_at", "ended_at"),
    "bookings": ("id", "reference", "service_id", "office_id", "desk_id", "starts_at",
                 "ends_at", "state", "created_at", "confirmed_at", "arrived_at",
                 "finished_at", "interaction_id", "rating"),
    "outbox": ("id", "kind", "sid", "created_at"),
}


def dump(app) -> dict[str, list[tuple]]:
    """Every row of every table the models know, as stored."""
    with app.app_context():
        return {table.name: [tuple(row) for row in db.session.execute(
            select(table).order_by(*table.primary_key.columns))]
            for table in db.metadata.sorted_tables}


def text_of(rows: dict[str, list[tuple]], leave_out: tuple[str, ...] = ()) -> str:
    return "\n".join(repr(row) for name, table in rows.items() if name not in leave_out
                     for row in table)


def statistics(app) -> dict[str, list[tuple]]:
    with app.app_context():
        kept = {name: [tuple(row) for row in db.session.execute(
            select(*(db.metadata.tables[name].c[c] for c in columns))
            .order_by(db.metadata.tables[name].c.id))] for name, columns in KEPT.items()}
        kept["timeline"] = [
            (e.id, e.interaction_id, e.kind, e.actor_type, e.actor_id, e.data, e.created_at)
            for e in db.session.scalars(select(InteractionEvent).where(
                InteractionEvent.kind != "retention_purge").order_by(InteractionEvent.id))]
        return kept


def database_file(app) -> bytes:
    """The SQLite database as stored on disk, with its write-ahead log."""
    path = Path(app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///"))
    wal = path.with_name(path.name + "-wal")
    return path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


def found(app, words: str) -> list[int]:
    """Interactions the supervisors' log finds by these words."""
    with app.test_request_context():
        return [r.interaction.id for r in search(LogFilters(text=words)).rows]


def old_contacts(app, client, resident, anna) -> list[int]:
    """A web chat, a text conversation, a call back and a visit, on a Wednesday."""
    return [
        chat(app, resident, anna, name="Bożena Przybylska",
             says="Mieszkam przy Lipowej 3, PESEL 85010112345", note="To sąsiadka radnego",
             reply="Pani Bożeno, proszę przynieść dowód.", comment="Bardzo uprzejma pani"),
        sms(app, client, anna, phone="+48601234567", says="Nieruchomość na Zielonej 5 - podatek",
            reply="Proszę zadzwonić pod 601 234 567 jutro."),
        callback(app, client, anna, phone="602 345 678", name="Halina Kiepska"),
    ] + [visit(app, client, name="Grzegorz Brzęczyszczykiewicz", phone="603 456 789",
               email="grzegorz.b@example.pl", rating=(5, "Pani w okienku była bardzo pomocna"))]


def recent_contacts(app, client, resident, anna) -> None:
    chat(app, resident, anna, name="Jadwiga Świeża", says="Mieszkam na Różanej",
         note="Sprawa z tego roku", reply="Dziękujemy.", comment=None)
    sms(app, client, anna, phone="+48604567890", says="Sprawa z tego roku", reply="Dobrze.")


def test_a_purge_keeps_the_statistics_and_the_timeline_and_no_personal_data(
        app, client, runner, resident, anna):
    """After the purge, is every name, number, address and word of the old contacts gone
    from every table, while every count, time, outcome, rating and event remains, and the
    recent contacts are untouched?"""
    *numbers, reference = old_contacts(app, client, resident, anna)
    assert found(app, "Lipowej")
    # The old text conversation's resident later sends STOP: that must survive the purge.
    sms_in(client, "STOP", "SMstop", phone="+48601234567")
    past_retention()
    recent_contacts(app, client, resident, anna)
    before, rows_before = statistics(app), dump(app)
    everything = text_of(rows_before)
    assert all(secret in everything for secret in OLD_SECRETS + RECENT_SECRETS)

    swept = runner.invoke(args=["queue", "sweep"])

    assert swept.exit_code == 0, swept.output
    rows = dump(app)
    left = text_of(rows, leave_out=("sms_opt_outs",))
    assert [s for s in OLD_SECRETS if s in left] == []
    assert all(secret in left for secret in RECENT_SECRETS)
    assert statistics(app) == before
    with app.app_context():
        [booking] = db.session.scalars(select(Booking).where(Booking.reference == reference))
        old = db.session.scalars(select(Interaction).where(
            Interaction.id.in_([*numbers, booking.interaction_id]))).all()
        assert {i.channel for i in old} == {"webchat", "sms", "callback", "booking"}
        assert all(i.anonymised_at and i.resident_name is None and i.resident_handle is None
                   and i.resident_device is None and i.csat_comment is None for i in old)
        assert {m.body for i in old for m in i.messages} == {ERASED}
        assert [i.csat for i in old if i.channel == "webchat"] == [4]
        assert (booking.rating, booking.rating_comment, booking.state) == (5, None, "done")
        assert db.session.get(OptOut, "+48601234567") is not None
        [event] = db.session.scalars(select(InteractionEvent).where(
            InteractionEvent.kind == "retention_purge")).all()
        assert (event.interaction_id, event.actor_type) == (None, "system")
        anonymised = db.session.query(Interaction).filter(
            Interaction.anonymised_at.isnot(None)).count()
        assert event.data["interactions"] == anonymised >= len(old)
        assert event.data["bookings"] == 1
        assert event.data["outbox"] >= 5  # texts, the call, the booking code and confirmation
        assert event.data["cutoff"].startswith(
            (WEDNESDAY + timedelta(days=1)).date().isoformat())
    # The log's full-text search follows: the erased words are found nowhere, recent ones are.
    assert found(app, "Lipowej") == [] and found(app, "Zielonej") == []
    assert len(found(app, "Różanej")) == 1
    # Nor are they left in the file's freed pages or the write-ahead log (SQLite); only the
    # number that opted out of texts is kept, on purpose.
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:"):
        stored = database_file(app)
        assert [s for s in OLD_SECRETS + ("lipowej", "zielonej") if s.encode() in stored] == [
            "+48601234567", "601234567"]
    # The sweep will not purge again within the hour, and a purge now changes nothing.
    assert "'anonymised': 0" in runner.invoke(args=["queue", "sweep"]).output
    rows = dump(app)  # (the sweep may have sealed events in the hash chain meanwhile)
    again = runner.invoke(args=["privacy", "purge"])
    assert "interactions 0" in again.output and "bookings 0" in again.output
    assert dump(app) == rows


def test_a_text_that_never_went_out_is_dropped_once_past_retention(app, runner):
    """Does a text whose job was lost keep its number and words only until the retention
    period has passed, while one stored since still waits to go out?"""
    with app.app_context():
        store_text("+48605111222", "Kod wizyty: STARY123")
    past_retention()
    with app.app_context():
        store_text("+48606333444", "Kod wizyty: NOWY456")
    assert "texts 1" in runner.invoke(args=["privacy", "purge", "--dry-run"]).output

    purged = runner.invoke(args=["privacy", "purge"])

    assert purged.exit_code == 0, purged.output
    assert "texts 1" in purged.output
    left = text_of(dump(app))
    assert "+48605111222" not in left and "STARY123" not in left
    assert "+48606333444" in left and "NOWY456" in left
    with app.app_context():
        [event] = db.session.scalars(select(InteractionEvent).where(
            InteractionEvent.kind == "retention_purge")).all()
        assert event.data["texts"] == 1


def test_the_purge_runs_at_most_once_an_hour(app, client, runner, resident, anna):
    chat(app, resident, anna, name="Bożena Przybylska", says="Lipowej 3", note="-",
         reply="Dobrze.")
    just_before = WEDNESDAY + timedelta(days=RETENTION_DAYS) - timedelta(minutes=1)
    travel_to(just_before)
    assert "'anonymised': 0" in runner.invoke(args=["queue", "sweep"]).output

    travel_to(just_before + timedelta(minutes=15))  # now past retention, but purged 15 min ago
    assert "'anonymised': 0" in runner.invoke(args=["queue", "sweep"]).output
    assert found(app, "Lipowej")

    travel_to(just_before + timedelta(minutes=61))
    assert "'anonymised': 1" in runner.invoke(args=["queue", "sweep"]).output
    assert found(app, "Lipowej") == []


def test_a_dry_run_counts_and_changes_nothing(app, client, runner, resident, anna):
    old_contacts(app, client, resident, anna)
    past_retention()
    rows = dump(app)
    counted = runner.invoke(args=["privacy", "purge", "--dry-run"])
    assert counted.exit_code == 0, counted.output
    assert "interactions 4" in counted.output and "bookings 1" in counted.output
    assert dump(app) == rows


def test_what_is_open_or_leads_to_a_visit_to_come_is_kept(app, client, runner, resident):
    """A contact still waiting is never purged, nor the booking log of a visit still to
    come; a shorter retention set by an admin applies at the next purge."""
    waiting = resident()
    assert emit_start(waiting, "Bożena Przybylska")
    reference = visit(app, client, name="Grzegorz Brzęczyszczykiewicz", phone="603 456 789",
                      email=None, outcome="confirmed", days_ahead=29)
    travel_to(WEDNESDAY + timedelta(days=31))
    assert "interactions 0" in runner.invoke(args=["privacy", "purge"]).output

    admin = login(app, ADMIN)
    form = {**settings_form(app), "retention_days": "30"}
    assert admin.post("/admin/settings", data=form).status_code == 302
    purged = runner.invoke(args=["privacy", "purge"])
    assert "interactions 0" in purged.output and "bookings 0" in purged.output
    with app.app_context():
        assert db.session.query(Interaction).filter(
            Interaction.anonymised_at.isnot(None)).count() == 0
    travel_to(WEDNESDAY + timedelta(days=61))  # the visit is 30 days past
    purged = runner.invoke(args=["privacy", "purge"])
    assert "interactions 1" in purged.output and "bookings 1" in purged.output, purged.output
    with app.app_context():
        queued = db.session.scalars(select(Interaction).where(
            Interaction.channel == "webchat")).one()
        assert (queued.state, queued.resident_name) == ("queued", "Bożena Przybylska")
    assert reference


def emit_start(sio, name: str) -> bool:
    from tests.conftest import emit

    return emit(sio, "/chat", "start", {"department": "registry", "name": name,
                                        "consent": True})["ok"]


def settings_form(app) -> dict[str, str]:
    with app.app_context():
        return settings.form_values()


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_the_purge_on_postgresql(app, client, runner, resident, anna):
    old_contacts(app, client, resident, anna)
    past_retention()
    before = statistics(app)
    purged = runner.invoke(args=["privacy", "purge"])
    assert "interactions 4" in purged.output, purged.output
    assert [s for s in OLD_SECRETS if s in text_of(dump(app))] == []
    assert statistics(app) == before
    assert found(app, "Lipowej") == []
    with app.app_context():
        assert db.session.query(Message).filter(Message.body != ERASED).count() == 0
