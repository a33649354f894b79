"""The broker connection: subscribe to readers' batches, publish their outcomes.

paho-mqtt runs its own network thread. Its callbacks only log and hand each
message to the IOLoop (``IOLoop.add_callback``); the ingest itself runs there
and reaches the database through ``ctx.db``, like an HTTP handler.

Delivery is at least once: the subscription is QoS 1 on a persistent session
(the broker keeps messages that arrive while the server is down), and a
message is acknowledged only after its outcome has been published. A message
redelivered after a crash is harmless because ingest is idempotent by
``batch_id``. paho reconnects by itself after a lost connection.
"""

from __future__ import annotations

import asyncio
import json
import logging
import ssl
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from tornado.ioloop import IOLoop

from trakrf_server.config import ConfigError
from trakrf_server.context import AppContext
from trakrf_server.mqtt import ingest

log = logging.getLogger("trakrf.mqtt")

QOS = 1
KEEPALIVE = 60
# Seconds between reconnect attempts: paho doubles from the first to the last.
RECONNECT_DELAY = (1, 60)


class MqttSubscriber:
    """Create, ``start()`` on the IOLoop, and ``await stop()`` at shutdown."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx
        self.settings = ctx.config.mqtt
        self.prefix = self.settings.topic_prefix.strip("/")
        self.subscription = f"{self.prefix}/readers/+/reads"
        self.loop = IOLoop.current()
        # Set (on the IOLoop) while the broker has confirmed the subscription.
        self.subscribed = asyncio.Event()
        self._tasks: set[asyncio.Task] = set()
        self._stopping = False

        client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=self.settings.client_id,
            clean_session=False,
            protocol=mqtt.MQTTv311,
            manual_ack=True,
        )
        if self.settings.username:
            client.username_pw_set(
                self.settings.username, self.settings.password or None
            )
        if self.settings.tls:
            self._use_tls(client)
        client.reconnect_delay_set(*RECONNECT_DELAY)
        client.on_connect = self._on_connect
        client.on_connect_fail = self._on_connect_fail
        client.on_disconnect = self._on_disconnect
        client.on_subscribe = self._on_subscribe
        client.on_message = self._on_message
        self.client = client

    def _use_tls(self, client: mqtt.Client) -> None:
        # Readers' keys travel inside the messages: a broker off this host is
        # reached over TLS, its certificate checked against ca_file (or the
        # system's authorities when that is empty) and its host name.
        ca_file = self.settings.ca_file or None
        try:
            client.tls_set(ca_certs=ca_file)
        except (OSError, ssl.SSLError) as exc:
            raise ConfigError(
                f"mqtt.ca_file: cannot load {ca_file!r} as CA certificates: {exc}"
            ) from None

    @property
    def where(self) -> str:
        return f"{self.settings.host}:{self.settings.port}"

    def start(self) -> None:
        """Connect in the background; never blocks, never fails on a down broker."""
        log.info(
            "MQTT reader ingest: connecting to %s as %r, topic %s",
            self.where,
            self.settings.client_id,
            self.subscription,
        )
        self.client.connect_async(
            self.settings.host, self.settings.port, keepalive=KEEPALIVE
        )
        self.client.loop_start()

    async def stop(self, timeout: float = 10.0) -> None:
        """Finish the messages being ingested, then disconnect.

        Messages arriving meanwhile are left unacknowledged, so the broker
        hands them to the next session instead of losing them.
        """
        self._stopping = True
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=timeout)
        self.client.disconnect()
        # loop_stop joins paho's thread: keep the IOLoop free meanwhile.
        await self.loop.run_in_executor(None, self.client.loop_stop)

    # --- paho's network thread: log, and hand work to the IOLoop -------------------

    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:
        if reason_code.is_failure:
            log.warning(
                "MQTT broker %s refused the connection: %s", self.where, reason_code
            )
            return
        log.info(
            "MQTT connected to %s (session %s)",
            self.where,
            "resumed" if flags.session_present else "new",
        )
        client.subscribe(self.subscription, qos=QOS)

    def _on_connect_fail(self, client, userdata) -> None:
        log.warning("MQTT broker %s unreachable; retrying", self.where)

    def _on_disconnect(self, client, userdata, flags, reason_code, properties) -> None:
        self.loop.add_callback(self.subscribed.clear)
        if self._stopping:
            log.info("MQTT disconnected from %s", self.where)
        else:
            log.warning(
                "MQTT connection to %s lost (%s); reconnecting", self.where, reason_code
            )

    def _on_subscribe(self, client, userdata, mid, reason_codes, properties) -> None:
        refused = [code for code in reason_codes if code.is_failure]
        if refused:
            log.warning(
                "MQTT broker %s refused the subscription to %s: %s",
                self.where,
                self.subscription,
                refused[0],
            )
            return
        log.info("MQTT subscribed to %s", self.subscription)
        self.loop.add_callback(self.subscribed.set)

    def _on_message(self, client, userdata, message: mqtt.MQTTMessage) -> None:
        if self._stopping:
            return
        try:
            self.loop.add_callback(
                self._spawn,
                message.topic,
                bytes(message.payload),
                message.mid,
                message.qos,
            )
        except Exception:  # an exception here would end paho's network thread
            log.exception("MQTT message on %s could not be queued", message.topic)

    # --- the IOLoop ----------------------------------------------------------------

    def _spawn(self, topic: str, payload: bytes, mid: int, qos: int) -> None:
        task = asyncio.ensure_future(self._handle(topic, payload, mid, qos))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _handle(self, topic: str, payload: bytes, mid: int, qos: int) -> None:
        try:
            body: dict[str, Any] = await ingest.outcome(self.ctx, topic, payload)
            text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
            self.client.publish(ingest.results_topic(topic), text, qos=QOS)
        except Exception:
            log.exception("MQTT outcome for %s could not be published", topic)
        finally:
            if qos > 0:
                self.client.ack(mid, qos)
