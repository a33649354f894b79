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


def make_subscriber(ctx: AppContext) -> MqttSubscriber | None:
    """The subscriber, not yet connected; None when MQTT is disabled.

    Building it checks the settings (ConfigError for a ``ca_file`` that cannot
    be loaded), so ``serve`` calls this before it listens: a server that will
    exit never announces itself. Call on the IOLoop that will run the ingest.
    """
    if not ctx.config.mqtt.enabled:
        return None
    from trakrf_server.mqtt.subscriber import MqttSubscriber

    return MqttSubscriber(ctx)


def start_subscriber(ctx: AppContext) -> MqttSubscriber | None:
    """Connect and subscribe in the background; None when MQTT is disabled.

    Call on the IOLoop that will run the ingest; stop the result with
    ``await subscriber.stop()``.
    """
    subscriber = make_subscriber(ctx)
    if subscriber is not None:
        subscriber.start()
    return subscriber
