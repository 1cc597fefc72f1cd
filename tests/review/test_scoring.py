"""How a review is scored: worked examples of hub.review.scoring, then one through HTTP.

share = (value − min) / (max − min); N/A answers leave both the sum and the weights; the
score is the weighted mean of the shares; critical criteria are also scored apart; a fatal
criterion below its threshold makes the whole score 0.
"""

from __future__ import annotations

import pytest

from hub.errors import InvalidInput
from hub.review import scoring
from hub.review.models import Criterion
from tests.conftest import EWA, login
from tests.review import reviewing
from tests.review.reviewing import begin, criteria

closed_chat = reviewing.closed_chat  # the fixture


def crit(id: int, low: int = 0, high: int = 2, weight: float = 1.0, na: bool = False,
         severity: str = "normal", fail_below: int | None = None) -> Criterion:
    return Criterion(id=id, title=f"c{id}", scale_min=low, scale_max=high, weight=weight,
                     allows_na=na, severity=severity, fail_below=fail_below)


def test_share_is_the_place_on_the_scale():
    """1–5 scale: 1 → 0, 3 → 0.5, 4 → 0.75, 5 → 1; 0–2 scale: 1 → 0.5."""
    one_to_five = crit(1, 1, 5)
    assert [scoring.share(one_to_five, v) for v in (1, 3, 4, 5)] == [0, 0.5, 0.75, 1]
    assert scoring.share(crit(2), 1) == 0.5


def test_weighted_mean_2_of_2_w1_1_of_2_w3_4_of_1to5_w2_is_two_thirds():
    """(1·1.0 + 3·0.5 + 2·0.75) / (1 + 3 + 2) = 4 / 6 = 0.667."""
    cs = [crit(1, weight=1), crit(2, weight=3), crit(3, 1, 5, weight=2)]
    outcome = scoring.score(cs, {1: 2, 2: 1, 3: 4})
    assert outcome.score == pytest.approx(4 / 6)
    assert outcome.critical_score is None  # no critical criteria on this card
    assert outcome.fatal_failed is False


def test_na_leaves_both_sides_2_of_2_w1_and_na_w3_is_100_percent():
    """With N/A dropped from the sum and the weights: 1·1.0 / 1 = 1.0 (not 1 / 4 = 0.25)."""
    cs = [crit(1, weight=1), crit(2, weight=3, na=True)]
    assert scoring.score(cs, {1: 2, 2: None}).score == 1.0


def test_every_criterion_na_gives_no_score():
    cs = [crit(1, na=True), crit(2, na=True)]
    assert scoring.score(cs, {1: None, 2: None}).score is None


def test_critical_scored_apart_0_w1_normal_2_w2_and_1_w1_critical():
    """Total (1·0 + 2·1 + 1·0.5) / 4 = 0.625; critical (2·1 + 1·0.5) / 3 = 0.833."""
    cs = [crit(1, weight=1), crit(2, weight=2, severity="critical"),
          crit(3, weight=1, severity="critical")]
    outcome = scoring.score(cs, {1: 0, 2: 2, 3: 1})
    assert outcome.score == pytest.approx(0.625)
    assert outcome.critical_score == pytest.approx(2.5 / 3)


def test_fatal_below_threshold_zeroes_the_score_full_marks_elsewhere():
    """2 of 2 on the normal criterion, 0 on a 0–1 fatal one failing below 1 → 0."""
    cs = [crit(1, weight=5), crit(2, 0, 1, severity="fatal", fail_below=1),
          crit(3, weight=1, severity="critical")]
    outcome = scoring.score(cs, {1: 2, 2: 0, 3: 2})
    assert outcome.fatal_failed is True
    assert outcome.score == 0.0
    assert outcome.critical_score == 1.0  # the critical part is still reported as it was


def test_fatal_at_its_threshold_passes_and_counts_like_any_criterion():
    """3 on a 0–4 fatal criterion failing below 3 passes: share 0.75, weight 1, so
    (1·1.0 + 1·0.75) / 2 = 0.875."""
    cs = [crit(1), crit(2, 0, 4, severity="fatal", fail_below=3)]
    outcome = scoring.score(cs, {1: 2, 2: 3})
    assert outcome.fatal_failed is False
    assert outcome.score == pytest.approx(0.875)


def test_fatal_without_threshold_needs_full_marks_and_na_never_fails():
    cs = [crit(1, severity="fatal"), crit(2, severity="fatal", na=True)]
    assert scoring.score(cs, {1: 1, 2: None}).fatal_failed is True
    assert scoring.score(cs, {1: 2, 2: None}).fatal_failed is False


@pytest.mark.parametrize(("values", "code"), [
    ({2: 1}, "review_unanswered"),
    ({1: 3, 2: 1}, "review_out_of_scale"),
    ({1: -1, 2: 1}, "review_out_of_scale"),
    ({1: None, 2: 1}, "review_na_not_allowed"),
])
def test_invalid_answers_are_refused_with_a_reason(values, code):
    cs = [crit(1), crit(2, na=True)]
    with pytest.raises(InvalidInput) as refused:
        scoring.score(cs, values)
    assert refused.value.code == code
    assert list(refused.value.problems) == [1]


def test_every_criterion_at_fault_is_named():
    cs = [crit(1), crit(2), crit(3, na=True)]
    found = scoring.problems(cs, {2: 7, 3: None})
    assert {cid: p.code for cid, p in found.items()} == {
        1: "review_unanswered", 2: "review_out_of_scale"}


def test_default_scorecard_through_http_scores_80_percent_critical_78_6(app, closed_chat):
    """The city scorecard, scored in the form: greeting 1/2 (w1), courtesy 2/2 (w2, critical),
    competence 1/2 (w3, critical), procedure 2/2 (w2, critical), documents, time and bad
    news N/A, data protection 1/1 (fatal, passes), closing 2/2 (w1).
    Score (0.5 + 2 + 1.5 + 2 + 1 + 1) / 10 = 80 %; critical (2 + 1.5 + 2) / 7 = 78.6 %."""
    http = login(app, EWA)
    review_id = begin(http, closed_chat())
    values = {"Powitanie": "1", "Uprzejmość": "2", "Kompetencja": "1", "Procedura": "2",
              "Wymagane dokumenty": "na", "Czas załatwienia": "na",
              "Ochrona danych osobowych": "1", "Przekazywanie złych wiadomości": "na",
              "Zakończenie": "2"}
    form = {f"value-{c.id}": values[c.title] for c in criteria(app, review_id)}
    assert http.post(f"/supervisor/reviews/{review_id}", data=form).status_code == 302
    page = http.get(f"/supervisor/reviews/{review_id}?lang=en").get_data(as_text=True)
    assert '<strong class="score">80%</strong>' in page
    assert "78.6%" in page
