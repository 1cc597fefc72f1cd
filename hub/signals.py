"""What the domain announces; channels and consoles subscribe, so the domain imports neither.

Each signal is sent after the change it announces has been committed.
"""

from blinker import Namespace

_signals = Namespace()

# sender: the Interaction; kwargs: message
message_added = _signals.signal("message-added")
# sender: the Interaction (state, clerk or queue place changed)
interaction_changed = _signals.signal("interaction-changed")
# sender: the Interaction; kwargs: clerk_id
offer_made = _signals.signal("offer-made")
# sender: the Interaction a clerk took; kwargs: waited_seconds (since it was queued)
interaction_assigned = _signals.signal("interaction-assigned")
# sender: interaction id; kwargs: clerk_id, reason
offer_withdrawn = _signals.signal("offer-withdrawn")
# sender: department code; kwargs: entries = [(interaction_id, position, wait_seconds)]
queue_positions = _signals.signal("queue-positions")
# sender: the User (clerk) whose presence changed
presence_changed = _signals.signal("presence-changed")
# sender: the Interaction; kwargs: kind, and what the supervisors should read
supervisor_alert = _signals.signal("supervisor-alert")
# sender: the app; kwargs: snapshot (hub.supervisor.wallboard, throttled across processes)
wallboard_updated = _signals.signal("wallboard-updated")
# sender: None; after Redis was rebuilt from the record (jobs kept in Redis are gone too)
queues_rebuilt = _signals.signal("queues-rebuilt")
