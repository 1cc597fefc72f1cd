"""Socket.IO fan-out between web processes through Redis, resynchronised after an outage.

Redis pub/sub keeps nothing: what another process published while this one was cut off
from Redis never arrives. So once the listener is back, this process closes its clients'
connections; browsers reconnect at once and catch up as after any reconnect (the chat
resumes after its last message, the console says hello).

In the gevent web server, what a process publishes goes out from one background greenlet:
whatever queued up while the last publish was on its way leaves as one Redis message. A
chat message's two emits (the other side, the sender's other tabs) then cost one publish,
and under load many messages share one (docs/performance.md, "Chat").
"""

from __future__ import annotations

import logging
import time

from flask import has_request_context, request
from socketio import RedisManager

log = logging.getLogger(__name__)

RETRY_SECONDS = (0.5, 1, 2, 5)  # soon after a restart, without hammering a Redis that is gone


class ResyncingRedisManager(RedisManager):
    """Flask-SocketIO's Redis message queue that reconnects quickly, resyncs its clients and
    batches what it publishes."""

    # Until the server initialises it at its first connection (a worker process never
    # does), and outside gevent, each publish goes at once.
    _outbox = None

    def initialize(self) -> None:
        super().initialize()
        # Only in the long-lived gevent web server: a short CLI command or a test thread
        # publishes at once, so nothing waits in memory when it ends.
        if not self.write_only and self.server.async_mode == "gevent":
            self._outbox = self.server.eio.create_queue()
            self.server.start_background_task(self._publish_batches)

    def _publish(self, data):
        if self._outbox is None:
            return super()._publish(data)
        self._outbox.put(data)

    def _publish_batches(self) -> None:  # pragma: no cover  (runs in its own greenlet)
        while True:
            batch = [self._outbox.get()]
            while not self._outbox.empty():
                batch.append(self._outbox.get_nowait())
            try:
                super()._publish(batch if len(batch) > 1 else batch[0])
            except Exception:  # never let the publisher die: later messages must still go
                log.exception("Socket.IO fan-out could not publish %d messages", len(batch))

    def _listen(self):  # pragma: no cover  (runs in the listener thread)
        for data in super()._listen():
            try:
                message = self.json.loads(data)
            except ValueError:
                continue
            yield from message if isinstance(message, list) else [message]

    def _redis_listen_with_retries(self):  # pragma: no cover  (runs in the listener thread)
        failures = 0
        subscribed = False
        while True:
            try:
                if not subscribed:
                    self._redis_connect()
                    self.pubsub.subscribe(self.channel)
                    subscribed = True
                    if failures:
                        self._resync()
                    failures = 0
                yield from self.pubsub.listen()
            except Exception as error:
                subscribed = False
                delay = RETRY_SECONDS[min(failures, len(RETRY_SECONDS) - 1)]
                failures += 1
                log.warning("Socket.IO fan-out lost Redis (%s); retrying in %s s", error, delay)
                time.sleep(delay)

    def _resync(self) -> None:
        """Drop every connection of this process, so each client reconnects and catches up.

        The transport is cut without Engine.IO's close packet: a client told "server
        disconnect" would not reconnect by itself, one that loses its transport does."""
        eio = self.server.eio
        sockets = list(eio.sockets.items())
        log.warning("Socket.IO fan-out back on Redis: %d clients reconnect", len(sockets))
        for eio_sid, socket in sockets:
            socket.close(wait=False, abort=True, reason=eio.reason.TRANSPORT_ERROR)
            eio.sockets.pop(eio_sid, None)


def sending_socket(namespace: str) -> str | None:
    """The socket of `namespace` whose event is being handled, if it is one: an emit can
    skip it when its ack already carries what the emit would."""
    if has_request_context() and getattr(request, "namespace", None) == namespace:
        return getattr(request, "sid", None)
    return None
