"""Calibration: several supervisors score the same interactions blind, then compare with
the lead; the reviews count towards nobody."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from hub.clock import utcnow
from hub.extensions import db
from hub.interactions.models import InteractionEvent
from hub.review.models import Calibration, Review
from hub.review.service import current_version
from tests.conftest import ADMIN, ANNA, EWA, login
from tests.review.listdata import add_staff, past

MARTA, OLGA = "marta@okienko.local", "olga@okienko.local"


@pytest.fixture
def setup(app):
    """Two closed chats of Anna's, two more supervisors; returns their ids and people's."""
    with app.app_context():
        ids = {
            "marta": add_staff(MARTA, "Marta Lis"),
            "olga": add_staff(OLGA, "Olga Nowicka"),
            "first": past(ANNA, utcnow() - timedelta(days=2)),
            "second": past(ANNA, utcnow() - timedelta(days=1), channel="sms",
                           device="+48601000001", handle="+48601000001"),
            "own": past(EWA, utcnow() - timedelta(days=1)),  # Ewa handled this one
            "open": past(ANNA, utcnow(), state="assigned"),
        }
        from hub.accounts.models import User

        people = {u.email: u.id for u in db.session.scalars(select(User))}
        ids["criteria"] = [(c.id, c.scale_max) for c in current_version().criteria]
        db.session.commit()  # the default scorecard, as the hub's first review would keep it
    return {**ids, "people": people}


def create(http, setup, **changes):
    data = {"title": "Listopad: rejestracja", "interaction": [str(setup["first"])],
            "numbers": f"#{setup['second']}",
            "participant": [str(setup["people"][e]) for e in (EWA, ADMIN, MARTA)],
            "lead": str(setup["people"][EWA])}
    data.update(changes)
    return http.post("/supervisor/calibrations?lang=en", data=data)


def score(http, session_id: int, interaction_id: int, values: dict[int, int]) -> int:
    """Begin the participant's blind review from the session page and submit it."""
    begun = http.post(f"/supervisor/calibrations/{session_id}/interactions/{interaction_id}"
                      "/score")
    assert begun.status_code == 302, begun.data
    review_id = int(re.search(r"/supervisor/reviews/(\d+)", begun.location)[1])
    form = {f"value-{cid}": str(value) for cid, value in values.items()}
    done = http.post(f"/supervisor/reviews/{review_id}", data=form)
    assert done.status_code == 302, done.data
    return review_id


def full_marks(setup, **low: int) -> dict[int, int]:
    """Every criterion at its maximum, except the n-th ones given as c<n>=value."""
    values = {cid: top for cid, top in setup["criteria"]}
    for key, value in low.items():
        values[setup["criteria"][int(key[1:])][0]] = value
    return values


def test_the_form_names_what_is_wrong(app, setup):
    http = login(app, EWA)
    assert b"Create the session" in http.get("/supervisor/calibrations?lang=en").data
    refused = create(http, setup, title=" ", interaction=[], numbers="12x",
                     participant=[str(setup["people"][MARTA])])
    page = refused.data.decode()
    assert refused.status_code == 400
    assert "There is a problem" in page and 'href="#title"' in page
    assert "“12x” is not an interaction number." in page
    assert "Please choose at least two participants." in page
    assert "Please choose the lead from the participants." in page
    open_one = create(http, setup, numbers=str(setup["open"]))
    assert "is still open" in open_one.data.decode()
    own = create(http, setup, numbers=str(setup["own"]))
    assert "Ewa Wiśniewska handled interaction" in own.data.decode()
    with app.app_context():
        assert db.session.query(Calibration).count() == 0


def test_blind_scoring_then_the_spread_against_the_lead(app, setup):
    ewa, marta, admin = login(app, EWA), login(app, MARTA), login(app, ADMIN)
    created = create(ewa, setup)
    assert created.status_code == 302
    session_id = int(created.location.rsplit("/", 1)[1])
    first, second = setup["first"], setup["second"]

    marta_review = score(marta, session_id, first, full_marks(setup))
    admin_review = score(admin, session_id, first, full_marks(setup, c0=0))

    # Blind: the session shows who scored, not what; nobody opens another's review.
    page = ewa.get(f"/supervisor/calibrations/{session_id}?lang=en").data.decode()
    assert page.count(">Submitted<") == 2 and "Not begun" in page
    assert "Results" not in page and "100%" not in page
    assert ewa.get(f"/supervisor/reviews/{marta_review}").status_code == 403
    assert marta.get(f"/supervisor/reviews/{admin_review}").status_code == 403
    assert b"Results" not in marta.get(f"/supervisor/calibrations/{session_id}?lang=en").data

    # The lead sees the results once they have scored everything themselves.
    score(ewa, session_id, first, full_marks(setup, c0=1))
    assert b"Results" not in ewa.get(f"/supervisor/calibrations/{session_id}?lang=en").data
    score(ewa, session_id, second, full_marks(setup))
    lead_page = ewa.get(f"/supervisor/calibrations/{session_id}?lang=en").data.decode()
    assert "Only you, the lead, see the results" in lead_page
    assert b"Results" not in marta.get(f"/supervisor/calibrations/{session_id}?lang=en").data
    assert marta.post(f"/supervisor/calibrations/{session_id}/close").status_code == 302
    with app.app_context():
        assert db.session.get(Calibration, session_id).closed_at is None  # not the lead

    ewa.post(f"/supervisor/calibrations/{session_id}/close")
    results = marta.get(f"/supervisor/calibrations/{session_id}?lang=en").data.decode()
    assert "Results" in results
    greeting = re.search(r"<th scope=\"row\">Powitanie</th>(.*?)</tr>", results, re.S)[1]
    cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td>(.*?)</td>", greeting,
                                                                     re.S)]
    # Columns: Ewa (lead), Adam Zieliński, Marta Lis, lowest, highest, standard deviation.
    assert cells == ["1", "0 (−1)", "2 (+1)", "0", "2", "0.82"]
    assert marta.get(f"/supervisor/reviews/{admin_review}").status_code == 200

    # Closed: nobody scores in it any more.
    late = marta.post(f"/supervisor/calibrations/{session_id}/interactions/{second}/score")
    assert late.status_code == 302
    with app.app_context():
        reviews = db.session.scalars(select(Review).where(Review.calibration_id == session_id))
        assert sorted(r.kind for r in reviews) == ["calibration"] * 4
        assert db.session.scalar(select(Review).where(Review.clerk_id.is_not(None))) is None
        kinds = [e.kind for e in db.session.scalars(
            select(InteractionEvent).where(InteractionEvent.interaction_id.is_(None),
                                           InteractionEvent.kind.like("calibration_%")))]
        assert kinds == ["calibration_created", "calibration_closed"]


def test_calibration_reviews_reach_no_clerk(app, setup):
    ewa, marta = login(app, EWA), login(app, MARTA)
    session_id = int(create(ewa, setup).location.rsplit("/", 1)[1])
    score(marta, session_id, setup["first"], full_marks(setup, c0=0))
    anna = login(app, ANNA)
    assert b"Powitanie" not in anna.get("/console/reviews?lang=en").data
    with app.app_context():
        review = db.session.scalar(select(Review))
        assert (review.kind, review.clerk_id, review.state) == ("calibration", None, "submitted")


def test_only_participants_score(app, setup):
    ewa, olga = login(app, EWA), login(app, OLGA)
    session_id = int(create(ewa, setup).location.rsplit("/", 1)[1])
    refused = olga.post(f"/supervisor/calibrations/{session_id}/interactions/"
                        f"{setup['first']}/score?lang=en")
    assert refused.location.endswith(f"/supervisor/calibrations/{session_id}")
    assert "Only the session" in olga.get(f"/supervisor/calibrations/{session_id}?lang=en") \
        .data.decode()
    with app.app_context():
        assert db.session.query(Review).count() == 0
