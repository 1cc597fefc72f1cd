"""Interaction log benchmark: searching 1,000,000 messages by their words.

A throwaway database, migrated by Alembic as the tests do, is filled with --interactions
interactions of --messages messages each (100,000 × 10 by default): city-office
conversations in Polish (and some in English) built from a vocabulary of greetings,
matters, documents and answers, a few rare words sprinkled in, spread over the past year,
several conversations running at once so their messages interleave as they do live. Then
hub.interactions.search.search(), the function behind /supervisor/interactions, is timed
for the first page (50 interactions, with snippets) of --queries searches of mixed
selectivity: a rare word (a street named in a few messages), an uncommon word (in about
a hundred), a common word, two words, a word and a channel, a word and a
date range, a word typed without diacritics; and, for comparison, filters without words.
One call is one sample; the session is rolled back between calls, as a request's is.

Run: .venv/bin/python bench/log_search.py [--interactions 100000] [--messages 10]
     .venv/bin/python bench/log_search.py --postgresql   (a throwaway local PostgreSQL)
     .venv/bin/python bench/log_search.py --database-url postgresql+psycopg://…/db
         (filled when empty, reused when it already has interactions)
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _setup import (  # noqa: E402
    add_database_arguments,
    cpus,
    database_size_mib,
    describe_database,
    environment,
    make_app,
    percentile,
)

GREETINGS = ["Dzień dobry", "Dzień dobry,", "Witam", "Dobry wieczór", "Szanowni Państwo,",
             "Halo", "Dzień dobry, mam pytanie."]
MATTERS = [
    "zaświadczenie o zameldowaniu", "wymiana dowodu osobistego", "dowód osobisty",
    "rejestracja samochodu", "prawo jazdy", "podatek od nieruchomości", "opłata za śmieci",
    "odbiór odpadów wielkogabarytowych", "karta parkingowa", "abonament parkingowy",
    "akt urodzenia", "akt małżeństwa", "ślub cywilny", "zapisy do żłobka",
    "rekrutacja do przedszkola", "dodatek mieszkaniowy", "Karta Dużej Rodziny",
    "pozwolenie na budowę", "wycinka drzewa", "zajęcie pasa drogowego", "meldunek czasowy",
    "zgłoszenie awarii oświetlenia", "dziura w jezdni", "numer PESEL dziecka",
    "legitymacja szkolna", "decyzja o warunkach zabudowy", "wypis z planu miejscowego",
    "profil zaufany", "podpis elektroniczny", "zwrot podatku", "dotacja na piec",
    "wymiana pieca", "stypendium szkolne", "najem lokalu komunalnego", "zaległości w opłatach",
]
RESIDENT = [
    "chciałbym zapytać o {m}.", "chciałabym załatwić {m}.", "jakie dokumenty są potrzebne na {m}?",
    "ile kosztuje {m}?", "ile trwa {m}?", "gdzie mogę złożyć wniosek: {m}?",
    "czy można to zrobić przez internet? Chodzi o {m}.", "nie dostałem odpowiedzi w sprawie: {m}.",
    "w zeszłym tygodniu złożyłam wniosek, {m}, i nadal czekam.", "czy urząd jest otwarty w sobotę?",
    "mam problem z terminem, {m}.", "dziękuję bardzo za pomoc.", "rozumiem, dziękuję.",
    "a czy mogę przyjść bez umówienia?", "czy potrzebne jest zdjęcie?",
    "proszę o informację, do kiedy trzeba zapłacić.", "gdzie jest najbliższy punkt obsługi?",
    "czy pełnomocnik może to załatwić za mnie?", "nie mam profilu zaufanego, co teraz?",
]
CLERK = [
    "Dzień dobry, nazywam się {n}, w czym mogę pomóc?", "Już sprawdzam, proszę chwilę poczekać.",
    "Na {m} potrzebny jest wniosek, dowód osobisty i potwierdzenie opłaty.",
    "Sprawę {m} można załatwić w każdym punkcie obsługi mieszkańców.",
    "Opłata za {m} wynosi 17 zł, płatna przelewem lub kartą na miejscu.",
    "Termin załatwienia sprawy to do 30 dni, zwykle około tygodnia.",
    "Wniosek można złożyć przez ePUAP z profilem zaufanym.",
    "Proszę umówić wizytę przez stronę urzędu albo przez ten czat.",
    "Niestety tej sprawy nie załatwimy przez telefon, potrzebna jest wizyta w urzędzie.",
    "Przekazuję pytanie do wydziału, odpowiedź otrzyma Pan SMS-em.",
    "Czy mogę jeszcze w czymś pomóc?", "Dziękuję za kontakt, miłego dnia!",
    "Urząd jest czynny od poniedziałku do piątku w godzinach 8–16, w czwartki do 18.",
    "Zaświadczenie wydajemy od ręki, jeśli dane w rejestrze się zgadzają.",
]
ENGLISH = [
    "Hello, I would like to ask about registering my residence.",
    "How long does it take to get a new ID card?", "Which documents do I need to bring?",
    "Thank you very much for your help.", "Can I pay the fee by card at the office?",
    "You need the application form, your passport and proof of payment.",
    "The office is open Monday to Friday from 8 to 16.", "Is there anything else I can help with?",
]
RARE = ["hulajnoga", "szerszenie", "bobry", "kolizja", "graffiti", "fajerwerki", "dzik",
        "rowerownia", "wiatrołom", "kanalizacja", "zapadlisko", "samowola", "ekoportal",
        "bezdomny", "kamienica", "tramwaj", "lodowisko", "ławka", "azbest", "fontanna"]
# Street names made of syllables: each in a handful of messages of the million.
SYLLABLES = ["brzo", "zo", "wa", "ki", "lin", "sko", "dą", "bro", "wie", "ja", "rzę", "bi",
             "no", "świer", "kla", "po", "mo", "gó", "ra", "sta"]
STREETS = sorted({"".join(random.Random(n).sample(SYLLABLES, 3)) + "ska" for n in range(300)})
NAMES = ["Anna", "Piotr", "Ewa", "Marek", "Kasia", "Tomasz", "Agnieszka", "Paweł"]
CHANNELS = ["webchat"] * 50 + ["sms"] * 25 + ["callback"] * 10 + ["form"] * 10 + ["booking"] * 5
TAGS = ["complaint", "praise", "urgent", "parking", "waste", "tax", "documents"]
DISPOSITIONS = ["resolved", "information_given", "referred", "visit_needed", "no_response",
                "not_city_matter"]


def conversation(rng: random.Random, english: bool) -> list[tuple[str, str]]:
    """(kind, body) of one conversation: the resident and the clerk taking turns."""
    matter = rng.choice(MATTERS)
    lines = []
    for turn in range(rng.randint(8, 12)):
        if english:
            body = rng.choice(ENGLISH)
        elif turn % 2 == 0:
            body = rng.choice(RESIDENT).format(m=matter)
            if turn == 0:
                body = rng.choice(GREETINGS) + " " + body
        else:
            body = rng.choice(CLERK).format(m=matter, n=rng.choice(NAMES))
        if rng.random() < 0.002:  # an uncommon word, about 100 times in a million messages
            body += " " + rng.choice(["Chodzi też o", "Widziałem", "Zgłaszam"]) + " " + \
                rng.choice(RARE) + "."
        if rng.random() < 0.0005:  # a street: each in a few messages only
            body += " Mieszkam przy ulicy " + rng.choice(STREETS).capitalize() + "."
        lines.append(("in" if turn % 2 == 0 else "out", body))
    return lines


def fill(interactions: int, per: int, rng: random.Random) -> tuple[int, int]:
    """Bulk-insert interactions and their messages over the past year, oldest first."""
    from sqlalchemy import insert, select

    from hub.accounts.models import Department, User
    from hub.clock import utcnow
    from hub.extensions import db
    from hub.interactions.models import Interaction, Message

    departments = list(db.session.scalars(select(Department.id)))
    clerks = list(db.session.scalars(select(User.id)))
    now = utcnow()
    start = now - timedelta(days=365)
    step = timedelta(days=365) / interactions
    rows, messages, made = [], [], 0
    concurrent = 20  # conversations open at once: their messages interleave
    interaction_id, message_id = 1, 1
    for block in range(0, interactions, concurrent):
        pending = []
        for k in range(min(concurrent, interactions - block)):
            created = start + step * (block + k)
            clerk = rng.choice(clerks)
            csat = rng.choice([None, None, 1, 2, 3, 4, 5, 5, 5])
            rows.append(dict(
                id=interaction_id, channel=rng.choice(CHANNELS),
                department_id=rng.choice(departments), state="closed", language="pl",
                resident_key="k", clerk_id=clerk, queue_score=0, created_at=created,
                queued_at=created, assigned_at=created + timedelta(seconds=40),
                first_response_at=created + timedelta(seconds=70),
                closed_at=created + timedelta(minutes=9), disposition=rng.choice(DISPOSITIONS),
                csat=csat, tags=rng.sample(TAGS, rng.choice([0, 0, 0, 1, 2])),
                mystery_shopper=rng.random() < 0.005,
            ))
            lines = conversation(rng, english=rng.random() < 0.1)[:per]
            lines += [("out", "Czy mogę jeszcze w czymś pomóc?")] * (per - len(lines))
            for n, (kind, body) in enumerate(lines):
                pending.append((created + timedelta(seconds=45 * n + rng.randint(0, 40)),
                                interaction_id, kind, body, clerk))
            interaction_id += 1
        pending.sort()
        for moment, owner, kind, body, clerk in pending:
            messages.append(dict(id=message_id, interaction_id=owner, kind=kind, body=body,
                                 author_id=clerk if kind == "out" else None,
                                 delivery="stored", created_at=moment))
            message_id += 1
        if len(messages) >= 50000 or interaction_id > interactions:
            db.session.execute(insert(Interaction), rows)
            db.session.execute(insert(Message), messages)
            db.session.commit()
            made += len(messages)
            rows, messages = [], []
    db.session.execute(db.text("ANALYZE"))
    db.session.commit()
    return interaction_id - 1, made


def queries(rng: random.Random, count: int) -> list[tuple[str, dict]]:
    """(kind, filters) for the searches timed, in a shuffled order."""
    from hub.clock import to_local, utcnow

    today = to_local(utcnow()).date()
    common = ["wniosek", "dowód", "dokumenty", "opłata", "termin", "zaświadczenie", "proszę",
              "dziękuję", "urząd", "wizyta", "profil", "podatek", "parkingowa", "odpadów"]
    pairs = [("dowód", "osobisty"), ("podatek", "nieruchomości"), ("profil", "zaufany"),
             ("karta", "parkingowa"), ("opłata", "śmieci"), ("wniosek", "dokumenty"),
             ("ślub", "cywilny"), ("akt", "urodzenia"), ("przez", "internet"),
             ("pełnomocnik", "załatwić")]
    plain = {"zaswiadczenie": "zaświadczenie", "zlobka": "żłobka", "slub": "ślub",
             "oplata": "opłata", "dowod": "dowód", "smieci": "śmieci"}
    kinds = {
        "rare word": lambda: {"q": rng.choice(STREETS)},
        "uncommon word": lambda: {"q": rng.choice(RARE)},
        "common word": lambda: {"q": rng.choice(common)},
        "two words": lambda: {"q": " ".join(rng.choice(pairs))},
        "word+channel": lambda: {"q": rng.choice(common + RARE),
                                 "channel": rng.choice(["sms", "callback", "form", "booking"])},
        "word+dates": lambda: _dated(rng, today, {"q": rng.choice(common + RARE)}),
        "no diacritics": lambda: {"q": rng.choice(list(plain))},
        "filters only": lambda: rng.choice([
            {"channel": "sms"}, {"csat": "low"}, {"mystery": "yes"}, {"tag": "complaint"},
            _dated(rng, today, {}), {"disposition": "referred", "channel": "form"}]),
    }
    per_kind = max(1, count // len(kinds))
    chosen = [(kind, make()) for kind, make in kinds.items() for _ in range(per_kind)]
    rng.shuffle(chosen)
    return chosen


def _dated(rng: random.Random, today, filters: dict) -> dict:
    first = today - timedelta(days=rng.randint(0, 360))
    last = first + timedelta(days=rng.choice([0, 6, 30]))
    return {**filters, "from": first.isoformat(), "to": last.isoformat()}


def measure(chosen: list[tuple[str, dict]]) -> dict[str, list[tuple[float, int]]]:
    from hub.extensions import db
    from hub.interactions.search import parse_filters, search

    samples: dict[str, list[tuple[float, int]]] = {}
    for kind, args in chosen:
        filters, errors = parse_filters(args)
        assert not errors, (args, errors)
        started = time.perf_counter()
        page = search(filters)
        elapsed = (time.perf_counter() - started) * 1000
        samples.setdefault(kind, []).append((elapsed, len(page.rows)))
        db.session.rollback()
    return samples


def report(samples: dict[str, list[tuple[float, int]]]) -> None:
    print(f"{'kind':<14} {'calls':>5} {'rows':>5} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    text = []
    for kind, runs in samples.items():
        times = [t for t, _ in runs]
        if kind != "filters only":
            text += times
        print(f"{kind:<14} {len(runs):>5} {statistics.mean(n for _, n in runs):>5.0f} "
              f"{percentile(times, 0.5):>8.1f} {percentile(times, 0.95):>8.1f} {max(times):>8.1f}")
    print(f"{'all words':<14} {len(text):>5} {'':>5} {percentile(text, 0.5):>8.1f} "
          f"{percentile(text, 0.95):>8.1f} {max(text):>8.1f}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--interactions", type=int, default=100_000)
    parser.add_argument("--messages", type=int, default=10, help="messages per interaction")
    parser.add_argument("--queries", type=int, default=208)
    parser.add_argument("--keep", help="keep the SQLite database at this path (reused if it exists)")
    add_database_arguments(parser)
    args = parser.parse_args()

    keep = Path(args.keep) if args.keep else None
    with environment(args, "log.db", sqlite_path=keep) as env:
        from flask_migrate import upgrade

        from hub.demo import load_demo
        from hub.extensions import db

        reuse = bool(keep and keep.exists()) and not args.postgresql
        app = make_app(env.database_url, env.redis_url)
        rng = random.Random(6)
        with app.app_context():
            upgrade()
            load_demo()
            started = time.perf_counter()
            if args.database_url:
                reuse = bool(db.session.scalar(db.text("SELECT count(*) FROM interactions")))
            made, messages = (0, 0) if reuse else fill(args.interactions, args.messages, rng)
            setup = time.perf_counter() - started
            print(f"{describe_database()}; {made} interactions, {messages} messages "
                  f"inserted in {setup:.1f} s; database {database_size_mib():.0f} MiB; "
                  f"{cpus()}", flush=True)
            chosen = queries(random.Random(7), args.queries)
            measure(chosen[:10])  # warm the cache, as a running hub's is
            report(measure(chosen))

if __name__ == "__main__":
    main()
