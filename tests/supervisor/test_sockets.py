"""The wallboard on the staff socket: asked for with "wallboard", then pushed on changes."""

from __future__ import annotations

from hub.queue import router
from hub.supervisor import wallboard
from hub.supervisor.wallboard import THROTTLE_KEY
from tests.conftest import ANNA, EWA, emit, received
from tests.supervisor.conftest import clear_of_midnight, start


def registry_row(board: dict) -> dict:
    registry = next(d for d in board["departments"] if d["code"] == "registry")
    return registry["total"]


def test_the_wallboard_event_answers_supervisors_only(app, staff, registry_day):
    """Does a supervisor get the same figures as the page, and a clerk a refusal?"""
    now = clear_of_midnight(app)
    registry_day(now)
    answer = emit(staff(EWA), "/staff", "wallboard")
    assert answer["ok"], answer
    with app.app_context():
        expected = wallboard.snapshot()
    assert {k: v for k, v in registry_row(answer).items() if k != "longest_wait"} == {
        "waiting": 2, "offered": 6, "answered": 2, "in_target": 1, "counted": 4,
        "sla_percent": 25,
    }
    assert 300 <= registry_row(answer)["longest_wait"] <= registry_row(expected)["longest_wait"]
    assert answer["presence"] == expected["presence"]
    assert answer["clerks"] == expected["clerks"]

    refused = emit(staff(ANNA), "/staff", "wallboard")
    assert (refused["ok"], refused["code"]) == (False, "supervisors_only")


def test_a_presence_change_is_pushed_to_the_wallboard(app, staff):
    """When Anna becomes available, does Ewa's wallboard hear it without asking (and Anna not)?"""
    ewa = staff(EWA)
    assert emit(ewa, "/staff", "wallboard")["presence"]["available"] == 0
    anna = staff(ANNA)
    ewa.get_received("/staff")

    emit(anna, "/staff", "presence", {"status": "available"})
    pushed = received(ewa, "/staff", "wallboard")
    assert pushed, "no wallboard snapshot was pushed"
    assert pushed[-1]["presence"]["available"] == 1
    assert next(c for c in pushed[-1]["clerks"] if c["name"] == "Anna Kowalska")["presence"] == (
        "available")
    assert received(anna, "/staff", "wallboard") == []   # consoles are not sent the stream


def test_a_new_chat_is_pushed_to_the_wallboard(app, staff, resident):
    ewa = staff(EWA)
    emit(ewa, "/staff", "wallboard")
    ewa.get_received("/staff")
    start(resident, "taxes")
    pushed = received(ewa, "/staff", "wallboard")
    assert pushed and registry_row(pushed[-1])["waiting"] == 0
    taxes = next(d for d in pushed[-1]["departments"] if d["code"] == "taxes")
    assert taxes["channels"][0]["channel"] == "webchat"
    assert (taxes["total"]["waiting"], taxes["total"]["offered"]) == (1, 1)


def test_pushes_are_throttled_across_processes(app, staff):
    """Within WALLBOARD_PUSH_SECONDS one push goes out, whichever process asks (Redis NX)."""
    app.config["WALLBOARD_PUSH_SECONDS"] = 60
    ewa = staff(EWA)
    emit(ewa, "/staff", "wallboard")
    ewa.get_received("/staff")
    with app.app_context():
        assert wallboard.push_if_due() is True
        assert wallboard.push_if_due() is False
        assert 0 < router().redis.pttl(router().prefix + THROTTLE_KEY) <= 60_000
        router().redis.delete(router().prefix + THROTTLE_KEY)   # the interval has passed
        assert wallboard.push_if_due() is True
    assert len(received(ewa, "/staff", "wallboard")) == 2
    emit(staff(ANNA), "/staff", "presence", {"status": "available"})
    assert received(ewa, "/staff", "wallboard") == []             # throttled: the loop will push
