"""The Redis message queue between workers, telling the others before serving its own sockets.

python-socketio's RedisManager.emit delivers to this worker's sockets first and publishes to
the other workers after, so a broadcast to a compound reaches the other workers' shoppers
only once this worker has written to all of its own: with 2,000 shoppers on two workers, the
second half heard the van a whole delivery later. Here the message is published first (the
same message, once), then delivered here, so every worker writes to its sockets at once.
"""
from __future__ import annotations

import socketio

PUBLISHED = "_xiaoge_published"  # set on a message once it has gone to the other workers


class PublishFirstRedisManager(socketio.RedisManager):
    def _handle_emit(self, message):
        if message.get("host_id") == self.host_id and not message.get(PUBLISHED):  # emitted here
            super()._publish(message)
            message[PUBLISHED] = True
        super()._handle_emit(message)

    def _publish(self, data):
        if data.pop(PUBLISHED, False):
            return  # emit publishes after delivering here: done already, before
        super()._publish(data)
