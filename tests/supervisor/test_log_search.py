"""The interaction log: finding conversations by their words and by filters, page by page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text

from hub.clock import utcnow
from hub.extensions import db
from tests.conftest import ANNA, EWA, PIOTR, login
from tests.supervisor.factories import clerk_id, contact, listed


@pytest.fixture
def supervisor(app):
    return login(app, EWA)


def find(supervisor, **args) -> tuple[int, str]:
    response = supervisor.get("/supervisor/interactions", query_string={"lang": "en", **args})
    return response.status_code, response.get_data(as_text=True)


def ids_for(supervisor, **args) -> list[int]:
    status, html = find(supervisor, **args)
    assert status == 200, html
    return listed(html)


def test_a_word_finds_its_conversation_and_no_other(app, supervisor):
    with app.app_context():
        wanted = contact("Dzień dobry, potrzebuję zaświadczenia o zameldowaniu.",
                         "Proszę przyjść z dowodem osobistym.")
        contact("Ile kosztuje karta parkingowa?", "Karta kosztuje 50 zł.")
        contact("Chcę zarejestrować samochód.")
    assert ids_for(supervisor, q="zameldowaniu") == [wanted]
    assert ids_for(supervisor, q="dowodem") == [wanted]  # a clerk's words count too
    assert ids_for(supervisor, q="hulajnoga") == []


def test_diacritics_and_case_do_not_matter(app, supervisor):
    with app.app_context():
        wanted = contact("Gdzie odbiorę ZAŚWIADCZENIE o zapisie do żłobka?")
        contact("Zapytanie o podatek od nieruchomości.")
    for words in ("zaswiadczenie", "Zaświadczenie", "zlobka", "żłobka", "ZLOBKA"):
        assert ids_for(supervisor, q=words) == [wanted], words


def test_all_words_must_occur_and_the_last_may_be_a_word_start(app, supervisor):
    with app.app_context():
        both = contact("Wymiana dowodu osobistego po ślubie.")
        one = contact("Zgubiłem dowód rejestracyjny.")
    assert ids_for(supervisor, q="dowodu ślub") == [both]  # "ślub" starts "ślubie"
    assert ids_for(supervisor, q="dowód rejestr") == [one]
    assert ids_for(supervisor, q="dowód") == [one, both]  # "dowod" starts "dowodu"
    assert ids_for(supervisor, q="osobistego rejestracyjny") == []


@pytest.mark.parametrize("words", [
    '"', '""', "NEAR(", "NEAR(a b", "*", "a*", "-", "a OR", "AND", "NOT x", "(", ")", "^x",
    "body:zaświadczenie", "'", "';--", "%", "\\", "{a b}", "a + b", "zaświad\"czenie", "ą" * 300,
    " ".join(["dowód"] * 9), "\x00", "😀",
])
def test_hostile_words_give_results_or_nothing_never_an_error(app, supervisor, words):
    with app.app_context():
        contact("Zaświadczenie o zameldowaniu, proszę.")
    status, html = find(supervisor, q=words)
    assert status == 200
    assert "<table" in html


def test_words_without_letters_are_reported_and_ignored(app, supervisor):
    with app.app_context():
        every = [contact("Pierwsza sprawa."), contact("Druga sprawa.")]
    status, html = find(supervisor, q='"*()')
    assert status == 200
    assert "There is a problem" in html and 'href="#q"' in html
    assert "Please type at least one word" in html
    assert listed(html) == every[::-1]


def test_the_snippet_marks_the_words_and_escapes_the_rest(app, supervisor):
    with app.app_context():
        contact("<script>alert(1)</script> Czy zaświadczenie jest gotowe? <b>pilne</b>")
    status, html = find(supervisor, q="zaswiadczenie")
    assert "<mark>zaświadczenie</mark>" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert" not in html
    assert "&lt;b&gt;pilne&lt;/b&gt;" in html


def test_each_filter_narrows_the_list(app, supervisor):
    now = utcnow()
    with app.app_context():
        base = dict(started=now - timedelta(days=1))
        plain = contact("Sprawa zwykła.", clerk=ANNA, **base)
        sms = contact("Sprawa SMS.", channel="sms", clerk=ANNA, **base)
        taxes = contact("Sprawa podatkowa.", department="taxes", clerk=PIOTR, **base)
        low = contact("Sprawa słaba.", csat=2, clerk=ANNA, **base)
        five = contact("Sprawa dobra.", csat=5, clerk=ANNA, **base)
        tagged = contact("Skarga na obsługę.", tags=("complaint", "urgent"), clerk=ANNA, **base)
        mystery = contact("Klient tajemniczy.", mystery=True, clerk=ANNA, **base)
        referred = contact("Inny urząd.", disposition="referred", clerk=ANNA, **base)
        old = contact("Dawna sprawa.", started=now - timedelta(days=40), clerk=ANNA)
        piotr = str(clerk_id(PIOTR))
    everyone = [referred, mystery, tagged, five, low, taxes, sms, plain, old]
    assert ids_for(supervisor) == everyone
    assert ids_for(supervisor, channel="sms") == [sms]
    assert ids_for(supervisor, department="taxes") == [taxes]
    assert ids_for(supervisor, clerk=piotr) == [taxes]
    assert ids_for(supervisor, disposition="referred") == [referred]
    assert ids_for(supervisor, tag="complaint") == [tagged]
    assert ids_for(supervisor, tag="#Urgent") == [tagged]
    assert ids_for(supervisor, csat="2") == [low]
    assert ids_for(supervisor, csat="5") == [five]
    assert ids_for(supervisor, csat="low") == [low]
    assert ids_for(supervisor, mystery="yes") == [mystery]
    assert mystery not in ids_for(supervisor, mystery="no")
    assert len(ids_for(supervisor, mystery="any")) == len(everyone)
    with app.app_context():
        from hub.clock import to_local

        yesterday = to_local(now - timedelta(days=1)).date()
        long_ago = to_local(now - timedelta(days=40)).date()
    assert ids_for(supervisor, **{"from": yesterday.isoformat()}) == everyone[:-1]
    assert ids_for(supervisor, to=long_ago.isoformat()) == [old]
    assert ids_for(supervisor, **{"from": long_ago.isoformat(), "to": long_ago.isoformat()}) == [old]
    assert ids_for(supervisor, q="sprawa", clerk=piotr) == [taxes]
    assert ids_for(supervisor, q="sprawa", channel="sms") == [sms]


def test_a_mystery_shopper_contact_is_marked_in_the_list(app, supervisor):
    with app.app_context():
        contact("Klient tajemniczy.", mystery=True)
    assert "Mystery shopper" in find(supervisor)[1]


def test_bad_filter_values_are_reported_and_ignored(app, supervisor):
    with app.app_context():
        every = [contact("Jeden."), contact("Dwa.")][::-1]
    status, html = find(supervisor, channel="fax", csat="9", clerk="abc", department="zoo",
                        disposition="lost", mystery="maybe", tag="a b", **{"from": "2027-13-01"})
    assert status == 200
    assert listed(html) == every
    for message in ("Please choose a channel", "Please choose a rating", "Please choose a member",
                    "Please choose a department", "Please choose an outcome",
                    "mystery-shopper", "A tag has", "YYYY-MM-DD"):
        assert message in html, message
    assert 'aria-invalid="true"' in html
    status, html = find(supervisor, **{"from": "2027-05-04", "to": "2027-05-01"})
    assert status == 200 and "The end of the period is before its start." in html


def test_absurd_values_are_refused_not_crashed_on(app, supervisor):
    with app.app_context():
        contact("Jeden.")
    for args in ({"clerk": "9" * 30}, {"clerk": "١٢"}, {"to": "9999-12-31"},
                 {"from": "0001-01-01"}, {"page": "9" * 30}, {"page": "-5"}):
        status, html = find(supervisor, **args)
        assert status == 200, args
    assert "Please choose a member" in find(supervisor, clerk="9" * 30)[1]
    assert "YYYY-MM-DD" in find(supervisor, to="9999-12-31")[1]
    assert supervisor.get("/supervisor/audit?who=" + "9" * 30).status_code == 200
    assert supervisor.get("/supervisor/audit?page=" + "9" * 30).status_code == 200


def test_fifty_a_page_newest_first(app, supervisor):
    with app.app_context():
        made = [contact(f"Sprawa numer {n}.") for n in range(120)][::-1]
    first = ids_for(supervisor)
    assert first == made[:50]
    status, html = find(supervisor)
    assert "Older" in html and "Newer" not in html
    assert ids_for(supervisor, page=2) == made[50:100]
    status, html = find(supervisor, page=3)
    assert listed(html) == made[100:] and "Older" not in html and "Newer" in html
    assert ids_for(supervisor, page=0) == made[:50]


def test_a_search_by_words_pages_too_without_repeating(app, supervisor):
    with app.app_context():
        matching = [contact("Wniosek o dowód.", "Proszę złożyć wniosek.") for _ in range(70)]
        contact("Inna sprawa.")
    pages = ids_for(supervisor, q="wniosek") + ids_for(supervisor, q="wniosek", page=2)
    assert pages == matching[::-1]
    assert "page=2" in find(supervisor, q="wniosek")[1]
    assert "q=wniosek" in find(supervisor, q="wniosek")[1]


def test_the_index_follows_edited_and_deleted_messages(app, supervisor):
    """The retention purge overwrites message bodies: the old words must stop matching."""
    with app.app_context():
        kept = contact("Nazywam się Jan Brzęczyszczykiewicz.")
        db.session.execute(text("UPDATE messages SET body = '[usunięto]' WHERE interaction_id = :i"),
                           {"i": kept})
        gone = contact("Zgłaszam graffiti na moście.")
        db.session.execute(text("DELETE FROM messages WHERE interaction_id = :i"), {"i": gone})
        db.session.commit()
    assert ids_for(supervisor, q="Brzęczyszczykiewicz") == []
    assert ids_for(supervisor, q="usunięto") == [kept]
    assert ids_for(supervisor, q="graffiti") == []


def test_the_database_has_a_full_text_index(app):
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            assert db.session.execute(text(
                "SELECT sqlite_compileoption_used('ENABLE_FTS5')")).scalar() == 1
            tokenizer = db.session.execute(text(
                "SELECT sql FROM sqlite_master WHERE name = 'messages_fts'")).scalar()
            assert "remove_diacritics 2" in tokenizer
        else:
            assert db.session.execute(text(
                "SELECT count(*) FROM pg_indexes WHERE indexname = 'ix_messages_body_fts'"
            )).scalar() == 1


def test_clerks_are_refused_and_strangers_sent_to_sign_in(app, client):
    anna = login(app, ANNA)
    for path in ("/supervisor/interactions", "/supervisor/interactions.csv", "/supervisor/audit"):
        assert anna.get(path).status_code == 403, path
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"], path
    assert anna.post("/supervisor/audit/verify").status_code == 403
    assert client.post("/supervisor/audit/verify").status_code == 302


def test_the_supervisor_page_links_to_the_log(app, supervisor):
    html = supervisor.get("/supervisor?lang=en").get_data(as_text=True)
    assert 'href="/supervisor/interactions"' in html and 'href="/supervisor/audit"' in html
    assert 'id="log-heading"' not in html


def test_the_search_form_works_without_scripts(app, supervisor):
    status, html = find(supervisor)
    assert '<form method="get" action="/supervisor/interactions"' in html
    assert '<label for="q">Words in the messages</label>' in html
    assert 'name="q"' in html and ">Search</button>" in html


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_postgresql_collects_rare_matches_when_the_walk_is_slow(app):
    """On PostgreSQL a walk along the newest messages that takes too long is cancelled and
    the matches are collected through the GIN index instead, in the same order."""
    from sqlalchemy import func, select

    from hub.interactions import fulltext, search
    from hub.interactions.search import LogFilters

    with app.app_context():
        made = [contact(f"Wniosek numer {n}.", "Dokumenty proszę przynieść.") for n in range(5)]
        assert fulltext.within(select(func.pg_sleep(1)), 50) is None
        assert fulltext.within(select(func.count()).select_from(text("messages")), 5000) == [(10,)]
        filters = LogFilters(text="wniosek")
        condition, _ = fulltext.matches("postgresql", filters.query())
        collected = list(search._collect([], condition))
        walked = list(search.matching(filters, filters.query()))
        assert collected == walked and [i for i, _ in walked] == made[::-1]
