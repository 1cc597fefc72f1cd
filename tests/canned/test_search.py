"""Clerks find canned answers over the staff socket while typing, placeholders filled in."""

from __future__ import annotations

from datetime import time

from sqlalchemy import select

from hub.accounts.models import Department
from hub.extensions import db
from hub.hours.models import DepartmentHours
from hub.hours.service import describe_hours
from tests.conftest import ANNA, EWA, PIOTR, emit, login


def chat_with_anna(resident, staff, department="registry", lang="pl", name="Jan Kowalski"):
    """A resident's chat, accepted by Anna; returns (Anna's socket, the interaction id)."""
    anna = staff(ANNA)
    assert emit(anna, "/staff", "presence", {"status": "available"})["ok"]
    sio = resident(lang)
    started = emit(sio, "/chat", "start", {"department": department, "name": name, "consent": True})
    interaction_id = started["status"]["interaction_id"]
    assert emit(anna, "/staff", "accept", {"interaction_id": interaction_id})["ok"]
    return anna, interaction_id


def search(sio, interaction_id, query) -> dict:
    return emit(sio, "/staff", "canned", {"interaction_id": interaction_id, "query": query})


def shortcuts(answer: dict) -> list[str]:
    assert answer["ok"], answer
    return [a["shortcut"] for a in answer["answers"]]


def test_search_keeps_to_department_and_language_shortcut_prefix_first(
        app, resident, staff, make_answer):
    """Does "/odbi" find the department's and shared Polish answers only, prefixes first?"""
    make_answer("termin", "Termin odbioru to 7 dni.", department=None)  # matches in the body
    make_answer("odbior", "Odbiór w okienku 3.")
    make_answer("odbior-auta", "Odbiór dowodu rejestracyjnego.", department="vehicles")
    make_answer("odbior", "Collect it at desk 3.", language="en")
    make_answer("zaswiadczenie", "Zaświadczenie wydajemy od ręki.")
    anna, interaction_id = chat_with_anna(resident, staff)

    assert shortcuts(search(anna, interaction_id, "ODBI")) == ["odbior", "termin"]
    # Accents and case are ignored both ways; at most eight answers come back.
    assert shortcuts(search(anna, interaction_id, "Zaświadcz")) == ["zaswiadczenie"]
    assert shortcuts(search(anna, interaction_id, "ZASWIADCZ")) == ["zaswiadczenie"]
    assert len(shortcuts(search(anna, interaction_id, ""))) == 8
    first = search(anna, interaction_id, "odbior")["answers"][0]
    assert set(first) == {"id", "shortcut", "title", "body"}


def test_placeholders_are_filled_in_for_the_conversation(app, resident, staff, make_answer):
    """Are the resident's and clerk's names, the department and its hours put in?"""
    with app.test_request_context():
        registry = db.session.scalar(select(Department).where(Department.code == "registry"))
        for weekday in range(5):
            db.session.add(DepartmentHours(department_id=registry.id, weekday=weekday,
                                           opens=time(8), closes=time(16)))
        db.session.commit()
        hours = describe_hours(registry, "pl")
    assert "8:00–16:00" in hours
    make_answer("odbior", "Dzień dobry, {resident_name}! Tu {clerk_name}, {department}. "
                          "Zapraszamy: {office_hours}. Sprawa {numer_sprawy}.")
    anna, interaction_id = chat_with_anna(resident, staff, name="Jan Kowalski")

    body = search(anna, interaction_id, "odbior")["answers"][0]["body"]
    assert body == (f"Dzień dobry, Jan Kowalski! Tu Anna, Urząd Stanu Cywilnego. "
                    f"Zapraszamy: {hours}. Sprawa {{numer_sprawy}}.")


def test_without_a_name_the_greeting_still_reads_well(resident, staff, make_answer):
    """With no resident name, does "Hello, {resident_name}!" become "Hello!"?"""
    make_answer("greet", "Hello, {resident_name}! This is {clerk_name} from {department}.",
                language="en")
    make_answer("thanks", "Thank you {resident_name}, goodbye.", language="en")
    anna, interaction_id = chat_with_anna(resident, staff, lang="en", name="")

    found = {a["shortcut"]: a["body"] for a in search(anna, interaction_id, "")["answers"]}
    assert found["greet"] == ("Hello! This is Anna from "
                              "Civil registry (births, marriages, deaths).")
    assert found["thanks"] == "Thank you, goodbye."
    assert "odbior" not in found and "godziny" not in found  # Polish answers stay out


def test_only_the_holder_or_a_supervisor_may_search(resident, staff, make_answer):
    """Is Piotr, who does not hold the conversation, refused while Ewa (supervisor) is not?"""
    make_answer("odbior", "Odbiór w okienku 3.")
    _, interaction_id = chat_with_anna(resident, staff)

    refused = search(staff(PIOTR), interaction_id, "odbior")
    assert refused["ok"] is False and refused["code"] == "not_yours" and "answers" not in refused
    assert shortcuts(search(staff(EWA), interaction_id, "odbior")) == ["odbior"]
    assert search(staff(PIOTR), 999999, "odbior")["code"] == "offer_gone"


def test_a_deactivated_answer_is_no_longer_found(app, resident, staff, make_answer):
    answer_id = make_answer("odbior", "Odbiór w okienku 3.")
    anna, interaction_id = chat_with_anna(resident, staff)
    assert shortcuts(search(anna, interaction_id, "odbior")) == ["odbior"]

    assert login(app, EWA).post(f"/supervisor/canned/{answer_id}/deactivate").status_code == 302
    assert shortcuts(search(anna, interaction_id, "odbior")) == []
