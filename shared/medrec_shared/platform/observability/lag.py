"""Consumer lag, measured by the producers: each service's worker, for every topic it writes
to, reads the committed offsets of every consumer group that reads that topic and the topic's
end offsets, so the lag of a group whose workers are all stopped is still measured (by someone
else). The APIs have no broker access; the workers have it already.

Groups are named after the consuming service (`medrec_shared.platform.kafka.consumer_group`);
a service whose `kafka_consumer_group` names another group is measured under its own name by
itself only. A partition the group never committed counts from 0 (it reads from the earliest)."""

import asyncio
import contextlib
from collections.abc import Iterable, Mapping

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from medrec_shared.platform.kafka import KafkaAccess
from medrec_shared.platform.logs import get_logger
from medrec_shared.platform.observability.metrics import CONSUMER_LAG
from medrec_shared.platform.worker import sleep_or_stop

log = get_logger("medrec.metrics")
LAG_REFRESH_SECONDS = 10.0


def groups_by_topic(
    produced: Iterable[str], consumes: Mapping[str, Iterable[str]], groups: Mapping[str, str]
) -> dict[str, list[str]]:
    """For each topic produced, the groups that read it. `consumes`: the topics each consuming
    service reads; `groups`: a consuming service's group, where it is not its name."""
    return {
        topic: sorted(
            groups.get(consumer, consumer)
            for consumer, read in consumes.items()
            if topic in set(read)
        )
        for topic in sorted(set(produced))
    }


class ConsumerLag:
    """Sets `medrec_consumer_lag{group,topic,partition}` for `readers` (topic -> groups)."""

    def __init__(self, access: KafkaAccess, client_id: str, readers: Mapping[str, list[str]]):
        self.access = access
        self.client_id = client_id
        self.readers = {topic: groups for topic, groups in readers.items() if groups}

    async def measure(self, admin: AIOKafkaAdminClient, offsets: AIOKafkaConsumer) -> None:
        partitions = await self._partitions(offsets)
        if not partitions:
            return
        ends = await offsets.end_offsets(partitions)
        for topic, groups in self.readers.items():
            mine = [tp for tp in partitions if tp.topic == topic]
            for group in groups:
                committed = await admin.list_consumer_group_offsets(group, partitions=mine)
                for tp in mine:
                    at = committed.get(tp)
                    position = at.offset if at is not None and at.offset >= 0 else 0
                    lag = max(0, ends[tp] - position)
                    CONSUMER_LAG.labels(group, topic, str(tp.partition)).set(lag)

    async def _partitions(self, offsets: AIOKafkaConsumer) -> list[TopicPartition]:
        found: list[TopicPartition] = []
        for topic in self.readers:
            numbers = offsets.partitions_for_topic(topic)
            if numbers is None:  # not in the metadata yet: fetch it
                await offsets.topics()  # the cluster's metadata, asked again
                numbers = offsets.partitions_for_topic(topic) or set()
            found += [TopicPartition(topic, n) for n in sorted(numbers)]
        return found

    async def run(self, stop: asyncio.Event) -> None:
        """Every `LAG_REFRESH_SECONDS` until stopped; the broker away is retried, never raised."""
        if not self.readers:
            return
        while not stop.is_set():
            try:
                await self._session(stop)
            except Exception as exc:
                log.warning("consumer_lag_retry", error_type=type(exc).__name__)
            await sleep_or_stop(stop, LAG_REFRESH_SECONDS)

    async def _session(self, stop: asyncio.Event) -> None:
        kwargs = self.access.client_kwargs()
        admin = AIOKafkaAdminClient(**kwargs, client_id=self.client_id)
        # No group: it only asks for the topics' end offsets, never joins or commits.
        offsets = AIOKafkaConsumer(**kwargs, client_id=self.client_id, group_id=None)
        try:
            await admin.start()
            await offsets.start()
            while not stop.is_set():
                await asyncio.wait_for(self.measure(admin, offsets), timeout=30)
                await sleep_or_stop(stop, LAG_REFRESH_SECONDS)
        finally:
            with contextlib.suppress(Exception):
                await offsets.stop()
            with contextlib.suppress(Exception):
                await admin.close()
