"""Four weeks of past contacts for the demo, so the log, reviews and reports have something
to show on a fresh hub. Deterministic (seeded), written straight to the record as the hub
would have written it: interactions, messages and their timeline events."""

from __future__ import annotations

import random
import secrets
from datetime import datetime, time, timedelta

from sqlalchemy import func, select

from hub.accounts.models import Department, User
from hub.clock import office_zone, to_local, to_utc, utcnow
from hub.extensions import db
from hub.interactions.models import Interaction, InteractionEvent, Message

# department code → exchanges (resident's question, clerk's answer)
CONVERSATIONS = {
    "registry": [
        ("Dzień dobry, potrzebuję odpisu aktu urodzenia dla syna. Co mam zrobić?",
         "Dzień dobry, odpis zamówi Pan przez ePUAP albo w okienku. Opłata wynosi 22 zł, "
         "a odpis jest gotowy zwykle w ciągu 3 dni roboczych."),
        ("Jakie dokumenty są potrzebne do zawarcia ślubu cywilnego?",
         "Potrzebne są dowody osobiste obojga narzeczonych i opłata 84 zł. Zapewnienie "
         "składa się najpóźniej miesiąc przed ślubem."),
        ("Czy mogę dostać zaświadczenie o stanie cywilnym od ręki?",
         "Zaświadczenie wydajemy od ręki w okienku, opłata 38 zł. Proszę zabrać dowód osobisty."),
    ],
    "residence": [
        ("Chcę się zameldować na pobyt stały. Czego potrzebuję?",
         "Wystarczy dowód osobisty i dokument potwierdzający tytuł prawny do lokalu. "
         "Meldunek jest bezpłatny i załatwiany od ręki."),
        ("Zgubiłem dowód osobisty, co teraz?",
         "Proszę zgłosić utratę w dowolnym urzędzie gminy albo przez mObywatela, a potem "
         "złożyć wniosek o nowy dowód. Nowy dowód jest gotowy do 30 dni."),
    ],
    "vehicles": [
        ("Kupiłem samochód z Niemiec. Jak go zarejestrować?",
         "Potrzebne są: dowód własności, tłumaczenie dokumentów, badanie techniczne i "
         "potwierdzenie akcyzy. Rejestracja czasowa jest od ręki, stała do 30 dni."),
        ("Ile kosztuje wymiana prawa jazdy?",
         "Opłata za wymianę prawa jazdy wynosi 100,50 zł, a dokument jest gotowy zwykle "
         "w ciągu 7 dni."),
    ],
    "taxes": [
        ("Do kiedy muszę zapłacić podatek od nieruchomości?",
         "Raty płaci się do 15 marca, 15 maja, 15 września i 15 listopada. Numer konta "
         "jest w decyzji podatkowej."),
        ("Nie dostałem decyzji podatkowej, co mam zrobić?",
         "Sprawdzę to. Decyzja została wysłana 10 lutego; wyślę duplikat na adres z ewidencji."),
    ],
    "general": [
        ("Czy urząd ma podjazd dla wózka?",
         "Tak, wejście od ul. Ratuszowej ma podjazd i windę, a w holu jest pętla indukcyjna."),
        ("W jakich godzinach pracuje urząd w piątek?",
         "W piątek urząd pracuje od 8:00 do 15:30."),
    ],
}
CHANNELS = ("webchat", "webchat", "webchat", "sms")
NAMES = ("Jan", "Maria", "Krzysztof", "Agnieszka", "Tomasz", "Barbara", None, None)
DAYS = 28


def load_demo_history(per_day: int = 18, seed: int = 6) -> int:
    """Add past contacts when there are none yet; returns how many interactions were added."""
    if db.session.scalar(select(func.count(Interaction.id))):
        return 0
    rng = random.Random(seed)
    departments = {d.code: d for d in db.session.scalars(select(Department))}
    clerks = [u for u in db.session.scalars(select(User).where(User.role == "clerk"))]
    today = to_local(utcnow()).date()
    added = 0
    for back in range(DAYS, 0, -1):
        day = today - timedelta(days=back)
        if day.weekday() >= 5:
            continue
        for _ in range(rng.randint(per_day - 5, per_day + 5)):
            code = rng.choice(list(CONVERSATIONS))
            skilled = [c for c in clerks if code in c.department_codes]
            if code not in departments or not skilled:
                continue
            opening = datetime.combine(day, time(8), tzinfo=office_zone())
            start = to_utc(opening + timedelta(minutes=rng.randint(0, 470)))
            _add_contact(rng, departments[code], rng.choice(skilled), start, code)
            added += 1
    db.session.commit()
    return added


def _add_contact(rng: random.Random, department: Department, clerk: User, start: datetime,
                 code: str) -> None:
    channel = rng.choice(CHANNELS)
    device = f"demo-{rng.randint(1, 300)}"  # some residents come back within a week
    interaction = Interaction(
        channel=channel, department=department, language="pl",
        resident_name=rng.choice(NAMES), resident_key=secrets.token_urlsafe(24),
        resident_device=device,
        resident_handle=f"+4860{rng.randint(1000000, 9999999)}" if channel != "webchat" else None,
        created_at=start, queued_at=start, queue_score=int(start.timestamp() * 1000),
    )
    db.session.add(interaction)
    db.session.flush()
    events = [("created", "resident", None, start), ("queued", "system", None, start)]
    if rng.random() < 0.06:  # left before anyone answered
        gone = start + timedelta(seconds=rng.randint(60, 600))
        interaction.state, interaction.resident_left_at = "abandoned", gone
        interaction.closed_at = gone
        events.append(("abandoned", "resident", None, gone))
        _add_events(interaction, events)
        return
    wait = timedelta(seconds=int(rng.expovariate(1 / 70)) + 5)
    assigned = start + wait
    events += [("offered", "system", None, assigned - timedelta(seconds=4)),
               ("accepted", "clerk", clerk.id, assigned)]
    moment = assigned
    question, answer = rng.choice(CONVERSATIONS[code])
    exchange = [("in", question), ("out", answer), ("in", "Dziękuję, to wszystko."),
                ("out", "Proszę bardzo. Miłego dnia!")]
    first_response = None
    for kind, body in exchange:
        moment += timedelta(seconds=rng.randint(20, 150))
        message = Message(interaction=interaction, kind=kind, body=body, created_at=moment,
                          author_id=clerk.id if kind == "out" else None, delivery="delivered")
        db.session.add(message)
        db.session.flush()
        first_response = first_response or (moment if kind == "out" else None)
        events.append(("message_" + kind, "clerk" if kind == "out" else "resident",
                       clerk.id if kind == "out" else None, moment, {"message_id": message.id}))
    closed = moment + timedelta(seconds=rng.randint(10, 60))
    interaction.state, interaction.clerk_id = "closed", clerk.id
    interaction.assigned_at, interaction.first_response_at = assigned, first_response
    interaction.closed_at = closed
    interaction.disposition = rng.choice(("resolved", "information_given", "information_given",
                                          "visit_needed", "referred"))
    events.append(("closed", "clerk", clerk.id, closed, {"disposition": interaction.disposition}))
    if rng.random() < 0.05:
        interaction.tags = ["complaint"]
        events.append(("tags_changed", "clerk", clerk.id, closed,
                       {"added": ["complaint"], "removed": []}))
    if channel == "webchat" and rng.random() < 0.55:
        interaction.csat = rng.choices((1, 2, 3, 4, 5), weights=(4, 4, 10, 30, 52))[0]
        events.append(("rated", "resident", None, closed + timedelta(seconds=30),
                       {"stars": interaction.csat, "has_comment": False}))
    _add_events(interaction, events)


def _add_events(interaction: Interaction, events: list[tuple]) -> None:
    for kind, actor_type, actor_id, at, *data in events:
        db.session.add(InteractionEvent(
            interaction_id=interaction.id, kind=kind, actor_type=actor_type, actor_id=actor_id,
            data=data[0] if data else {}, created_at=at))
