"""Refusals the domain raises, each with a message in the user's language."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

MESSAGES = {
    "empty_message": _l("Please write a message before sending."),
    "message_too_long": _l("The message is too long: at most %(limit)s characters."),
    "unknown_department": _l("Please choose a topic from the list."),
    "consent_required": _l("Please accept the privacy notice to start the chat."),
    "name_too_long": _l("The name is too long: at most %(limit)s characters."),
    "bad_token": _l("This conversation link is not valid or has expired. Please start a new chat."),
    "closed": _l("This conversation has ended."),
    "already_rated": _l("Thank you, this conversation has already been rated."),
    "bad_rating": _l("Please choose a rating from 1 to 5 stars."),
    "not_yours": _l("This conversation is not assigned to you."),
    "offer_gone": _l("This conversation has already been taken or the offer has expired."),
    "no_call": _l("There is no call in this conversation right now."),
    "call_not_possible": _l("A call cannot be made in this conversation."),
    "bad_disposition": _l("Please choose how the conversation ended."),
    "bad_presence": _l("Unknown status."),
    "at_capacity": _l("You cannot take more conversations right now."),
    "no_channel_reply": _l(
        "You cannot reply to this contact here; answer using the contact details given."
    ),
    "rate_limited": _l("Too many requests. Please wait a moment and try again."),
    "busy": _l(
        "Very many residents are writing to us right now, so we cannot start a new chat. "
        "Please try again in a few minutes, or ask us to call you back."
    ),
    "not_rateable": _l("You can rate the conversation once it has ended."),
    "canned_department": _l("Please choose a department from the list."),
    "canned_language": _l("Please choose a language from the list."),
    "canned_shortcut": _l(
        "The shortcut must have 1 to %(limit)s letters, digits, hyphens or underscores."
    ),
    "canned_shortcut_taken": _l(
        "Another answer for this department and language already uses this shortcut."
    ),
    "canned_title": _l("Please give the answer a title."),
    "canned_title_too_long": _l("The title is too long: at most %(limit)s characters."),
    "canned_body": _l("Please write the text of the answer."),
    "canned_body_too_long": _l("The text is too long: at most %(limit)s characters."),
    "canned_inactive": _l("This answer has been deactivated."),
    "unknown_clerk": _l("Choose a colleague from the list."),
    "clerk_lacks_skill": _l("This colleague does not handle the chosen department."),
    "clerk_unavailable": _l("This colleague is not available right now."),
    "reason_required": _l("Please give the reason (at most %(limit)s characters)."),
    "blocked": _l(
        "You cannot start a new conversation at the moment. Please call or visit the office."
    ),
    "pull_not_allowed": _l("Your role does not allow taking conversations from the queue."),
    "supervisors_only": _l("Only supervisors can see this."),
    "bad_phone": _l("Please give a valid phone number, e.g. 601 234 567."),
    "callback_exists": _l(
        "A call back to this number is already arranged. Use the link in the text we sent "
        "to cancel it."
    ),
    "no_callback_window": _l("There are no call-back times available. Please try the chat."),
    "bad_window": _l("Please choose a time from the list; the one chosen is no longer available."),
    "callback_not_pending": _l("This call back has already taken place or was cancelled."),
    "callback_in_progress": _l("A clerk is calling you right now, so it can no longer be cancelled."),
    "calls_unavailable": _l("Calls cannot be placed from this hub."),
    "call_in_progress": _l("A call for this contact is already under way."),
    "unknown_service": _l("Please choose a matter from the list."),
    "unknown_office": _l("Please choose an office from the list."),
    "name_required": _l("Please give your name."),
    "contact_required": _l("Please give a phone number or an e-mail address."),
    "bad_email": _l("Please give a valid e-mail address, e.g. jan@example.pl."),
    "slot_taken": _l("This time has just been taken. Please choose another."),
    "too_many_bookings": _l(
        "You already have %(limit)s visits booked for this matter. Cancel one to book another."
    ),
    "hold_expired": _l("The time to confirm has run out and the slot was released. "
                       "Please choose a time again."),
    "bad_code": _l("This code is not right. Please check the message we sent and try again."),
    "booking_not_active": _l("This visit has already taken place or was cancelled."),
    "unknown_reference": _l("No visit has this reference. Please check it and try again."),
    "not_today": _l("This visit is not today."),
    "bad_outcome": _l("Please choose how the visit ended."),
    "bad_booking_link": _l("This link is not valid. Please use the link from your confirmation."),
    "not_resendable": _l("Only a message that could not be delivered can be sent again."),
    # The booking catalogue (admins): services, offices, desks, hours, closures.
    "catalogue_code": _l(
        "The code must have 1 to %(limit)s lowercase letters, digits or hyphens, e.g. "
        "car-registration."
    ),
    "catalogue_code_taken": _l("Another entry already uses this code."),
    "catalogue_required": _l("Please fill this in."),
    "catalogue_too_long": _l("This is too long: at most %(limit)s characters."),
    "catalogue_number": _l("Please give a whole number from %(low)s to %(high)s."),
    "catalogue_department": _l("Please choose a department from the list."),
    "catalogue_offices": _l("Please choose offices from the list."),
    "catalogue_document_name": _l("Please give the document's name in Polish and in English."),
    "catalogue_desk_name": _l("Please give the desk a name."),
    "catalogue_date": _l("Please give a date as YYYY-MM-DD, e.g. 2027-05-04."),
    "catalogue_closure_exists": _l("The office is already closed on this day."),
    "hours_no_range": _l("“%(text)s” has no opening time: write e.g. mo-fr 8:00-16:00."),
    "hours_unknown_day": _l(
        "Unknown day “%(text)s”: use mo, tu, we, th, fr, sa, su or a span like mo-fr."
    ),
    "hours_backwards_days": _l("The days “%(text)s” run backwards: write e.g. mo-fr."),
    "hours_bad_range": _l("The time “%(text)s” must look like 8:00-16:00."),
    "hours_no_such_time": _l("There is no such time in “%(text)s”."),
    "hours_closes_first": _l("“%(text)s” closes before it opens."),
    "hours_overlap": _l("The opening times on %(day)s overlap: %(text)s."),
}


class InvalidInput(Exception):
    """Bad input or a refused action; nothing was changed."""

    def __init__(self, code: str, **params: object) -> None:
        super().__init__(code)
        self.code = code
        self.params = params

    @property
    def message(self) -> str:
        """The message in the current locale (call inside a request or force_locale)."""
        return str(MESSAGES[self.code]) % self.params if self.params else str(MESSAGES[self.code])
