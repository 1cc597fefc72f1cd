"""The issue's story in real browsers: a resident asks Anna about a certificate; Ewa, the
supervisor, finds the conversation by a word from it, scores it (keyboard and clicks), and
Anna acknowledges the review from her console. axe-core checks the review form (with and
without errors), the submitted review, /console/reviews and the scorecard editor."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import check_axe, conversation
from tests.browser.test_chat_browser import clerk_says, resident_says
from tests.conftest import ADMIN, EWA, PASSWORD

AXE_CONTEXT = {"bypass_csp": True}  # axe is injected as an inline script


def sign_in_at(page, email: str, path: str) -> None:
    """Sign in through /login (in English) and land on `path`."""
    page.goto(f"/login?lang=en&next={path}")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(re.escape(path.split("?")[0]) + r"(\?.*)?$"))


def test_a_supervisor_finds_scores_and_the_clerk_acknowledges(hub, contexts):
    contexts.allow("status of 400")  # the empty form is refused on purpose
    clerk, resident = conversation(hub, contexts, **AXE_CONTEXT)
    interaction_id = clerk.evaluate("() => window.okienkoConsole.openId()")
    resident_says(resident, "Dzień dobry, chodzi o zaświadczenie o zameldowaniu.")
    clerk_says(clerk, "Dzień dobry, wyda je Wydział Spraw Obywatelskich od ręki.")
    clerk_says(clerk, "Sprawdzić, czy jest zameldowany.", note=True)
    clerk.select_option("#disposition", "information_given")
    clerk.locator("#close-form button[type=submit]").click()
    expect(clerk.locator("#no-conversations")).to_be_visible()

    # Ewa searches the log for a word from the chat (the demo history has other matches)
    # and opens this conversation from the results.
    ewa = contexts.new_page(hub.url, **AXE_CONTEXT)
    sign_in_at(ewa, EWA, "/supervisor/interactions")
    ewa.get_by_label("Words in the messages").fill("zaświadczenie")
    ewa.get_by_role("button", name="Search", exact=True).click()
    results = ewa.locator("main table tbody tr")
    expect(results.first).to_contain_text("zaświadczenie")  # the newest match first
    ours = results.filter(has=ewa.get_by_role("link", name=str(interaction_id), exact=True))
    expect(ours).to_contain_text("chodzi o zaświadczenie o zameldowaniu")
    ours.get_by_role("link", name=str(interaction_id), exact=True).click()
    ewa.wait_for_url(f"**/supervisor/interactions/{interaction_id}")
    expect(ewa.locator("#reviews-heading + p")).to_have_text("No reviews yet.")
    ewa.get_by_role("button", name="Review this conversation").click()
    ewa.wait_for_url(re.compile(r".*/supervisor/reviews/\d+$"))

    # The form shows the conversation beside the scorecard, notes marked.
    transcript = ewa.locator(".review-transcript")
    expect(transcript).to_contain_text("chodzi o zaświadczenie o zameldowaniu")
    expect(transcript.locator(".msg-note")).to_contain_text("Internal note")
    check_axe(ewa, "the review form")

    # Submitting nothing: the summary takes the focus and links to each criterion.
    ewa.get_by_role("button", name="Submit the review").click()
    summary = ewa.locator(".error-summary")
    expect(summary).to_be_focused()
    criteria = ewa.locator("fieldset.criterion")
    expect(summary.locator("li")).to_have_count(criteria.count())
    check_axe(ewa, "the review form with errors")
    summary.locator("a").first.click()
    first_choice = criteria.first.locator("input[type=radio]").first
    expect(first_choice).to_be_focused()

    # Greeting by keyboard (arrows move along the scale: 0 → 1 → 2, back to 1), a comment,
    # then the top value of every other criterion by clicking its label.
    ewa.keyboard.press("ArrowRight")
    ewa.keyboard.press("ArrowRight")
    ewa.keyboard.press("ArrowLeft")
    expect(criteria.first.get_by_label("1 – partly met")).to_be_checked()
    ewa.keyboard.press("Tab")
    expect(criteria.first.get_by_label(re.compile("^Comment"))).to_be_focused()
    ewa.keyboard.type("Bez przedstawienia się.")
    for index in range(1, criteria.count()):
        criteria.nth(index).get_by_text(re.compile(r"^\d+ – met$")).click()
    ewa.get_by_label("Overall comment (optional)").fill("Konkretnie i uprzejmie.")
    ewa.get_by_role("button", name="Submit the review").click()

    # Greeting 1 of 2 at weight 1 of 14: 13.5 / 14 = 96.4 %.
    expect(ewa.locator(".flash")).to_contain_text("The review was submitted: 96.4%.")
    expect(ewa.locator(".review-outcome .score")).to_have_text("96.4%")
    expect(ewa.locator("table.answers").first).to_contain_text("Bez przedstawienia się.")
    expect(ewa.locator("#response-heading + p")).to_contain_text("Waiting for Anna Kowalska")
    check_axe(ewa, "the submitted review")
    review_url = ewa.url.split("#")[0]  # (the error summary link left a fragment)

    # Anna sees "My reviews (1 new)" in her console, opens it and acknowledges.
    clerk.goto("/console?lang=en")
    link = clerk.get_by_role("link", name=re.compile(r"^My reviews \(\s*1 new\s*\)$"))
    expect(link).to_be_visible()
    link.click()
    clerk.wait_for_url("**/console/reviews")
    review = clerk.locator("article.my-review")
    expect(review).to_have_count(1)
    expect(review.locator(".score")).to_have_text("96.4%")
    expect(review).to_contain_text("Bez przedstawienia się.")
    check_axe(clerk, "/console/reviews")
    review.get_by_role("button", name=re.compile("^Acknowledge")).click()
    expect(clerk.locator(".flash")).to_contain_text("the review is acknowledged")
    expect(review).to_contain_text("Acknowledged on")
    expect(review.get_by_role("button")).to_have_count(0)
    check_axe(clerk, "/console/reviews after acknowledging")
    clerk.goto("/console")
    expect(clerk.get_by_role("link", name="My reviews", exact=True)).to_be_visible()

    ewa.goto(review_url)
    expect(ewa.locator("#response-heading + p")).to_contain_text("Acknowledged on")

    # The scorecard editor: the list, the published version, a new draft, a criterion.
    admin = contexts.new_page(hub.url, **AXE_CONTEXT)
    sign_in_at(admin, ADMIN, "/admin/scorecards")
    expect(admin.locator("table.versions td").nth(2)).to_have_text("1")  # one review on v1
    check_axe(admin, "/admin/scorecards")
    admin.get_by_role("button", name=re.compile("^New version")).click()
    expect(admin.locator("h1")).to_contain_text("version 2")
    check_axe(admin, "a draft scorecard version")
    admin.locator(".editor-section").first.get_by_role("link", name=re.compile("^Add a criterion")).click()
    admin.get_by_role("button", name="Save the criterion").click()
    expect(admin.locator(".error-summary")).to_be_focused()
    check_axe(admin, "a criterion with errors")
