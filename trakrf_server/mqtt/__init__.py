"""Reader ingest over MQTT (docs/reader-ingest.md).

``ingest`` turns one message into the outcome to publish; ``subscriber`` holds
the broker connection. Nothing here connects anywhere unless ``[mqtt]
enabled`` is true, and the MQTT client library is imported only then.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from trakrf_server.context import AppContext

if TYPE_CHECKING:
    from trakrf_server.mqtt.subscriber import MqttSubscriber


def start_subscriber(ctx: AppContext) -> MqttSubscriber | None:
    """Connect and subscribe in the background; None when MQTT is disabled.

    Call on the IOLoop that will run the ingest; stop the result with
    ``await subscriber.stop()``.
    """
    if not ctx.config.mqtt.enabled:
        return None
    from trakrf_server.mqtt.subscriber import MqttSubscriber

    subscriber = MqttSubscriber(ctx)
    subscriber.start()
    return subscriber
