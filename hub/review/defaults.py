"""The default city scorecard, published on first use so supervisors can start at once."""

from __future__ import annotations

from sqlalchemy import func, select

from hub.clock import utcnow
from hub.extensions import db
from hub.review.models import Criterion, Scorecard, ScorecardSection, ScorecardVersion

# (section, [(title, guidance, max, weight, N/A allowed, severity, fail_below)]); scales 0..max.
CITY_SCORECARD = [
    ("Powitanie i ton", [
        ("Powitanie", "Przedstawia się imieniem, wita uprzejmie, pyta, w czym pomóc.",
         2, 1.0, False, "normal", None),
        ("Uprzejmość", "Życzliwy, cierpliwy ton; bez żargonu urzędowego; zwraca się per Pan/Pani.",
         2, 2.0, False, "critical", None),
    ]),
    ("Merytoryka", [
        ("Kompetencja", "Informacja jest poprawna i pełna; w razie wątpliwości sprawdza lub "
         "przekazuje sprawę właściwej osobie.", 2, 3.0, False, "critical", None),
        ("Procedura", "Wyjaśnia, jak sprawę załatwić: gdzie, jak, w jakiej kolejności.",
         2, 2.0, True, "critical", None),
        ("Wymagane dokumenty", "Mówi, jakie dokumenty zabrać i ile wynosi opłata.",
         2, 2.0, True, "critical", None),
        ("Czas załatwienia", "Mówi, ile sprawa potrwa i kiedy mieszkaniec dostanie odpowiedź.",
         2, 1.0, True, "normal", None),
        ("Ochrona danych osobowych", "Nie ujawnia danych osób trzecich; sprawdza tożsamość, "
         "zanim poda dane sprawy. Niespełnienie zeruje ocenę.", 1, 1.0, False, "fatal", 1),
    ]),
    ("Trudne sytuacje", [
        ("Przekazywanie złych wiadomości", "Odmowę lub opóźnienie tłumaczy jasno, z powodem "
         "i z tym, co mieszkaniec może zrobić dalej.", 2, 1.0, True, "normal", None),
    ]),
    ("Zakończenie", [
        ("Zakończenie", "Podsumowuje ustalenia, pyta, czy może jeszcze pomóc, żegna się.",
         2, 1.0, False, "normal", None),
    ]),
]
CITY_SCORECARD_NAME = "Karta oceny rozmowy z mieszkańcem"


def ensure_default_scorecard() -> Scorecard | None:
    """Publish the city scorecard when there is no scorecard at all; returns it if made."""
    if db.session.scalar(select(func.count(Scorecard.id))):
        return None
    card = Scorecard(name=CITY_SCORECARD_NAME,
                     description="Domyślna karta miasta: powitanie, uprzejmość, kompetencja, "
                                 "procedura, dokumenty, czas, złe wiadomości, zakończenie.")
    version = ScorecardVersion(scorecard=card, number=1, state="published",
                               published_at=utcnow())
    for s_pos, (title, criteria) in enumerate(CITY_SCORECARD):
        section = ScorecardSection(version=version, position=s_pos, title=title)
        for c_pos, (name, guidance, top, weight, na, severity, fail_below) in enumerate(criteria):
            section.criteria.append(Criterion(
                position=c_pos, title=name, guidance=guidance, scale_min=0, scale_max=top,
                weight=weight, allows_na=na, severity=severity, fail_below=fail_below))
    db.session.add(card)
    db.session.flush()
    return card
