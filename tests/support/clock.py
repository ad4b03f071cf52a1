"""Moving the local stack's clock instead of sleeping: every service reads "now" from the
cluster's clock file (README, "Time is a dependency"); an empty file is real time."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime

from medrec_devstack.cluster import Cluster

MoveClock = Callable[[datetime], None]


@contextmanager
def moving_clock(cluster: Cluster) -> Iterator[MoveClock]:
    """Yields a function that sets every service's clock to an instant; real time again after
    the block, however it ends."""

    def move(to: datetime) -> None:
        if to.tzinfo is None:
            raise ValueError("the clock takes an instant with an offset")
        cluster.clock_file.write_text(to.isoformat())

    try:
        yield move
    finally:
        cluster.clock_file.write_text("")


@contextmanager
def clock_at(cluster: Cluster, instant: datetime) -> Iterator[MoveClock]:
    """Every service's clock stands at `instant` inside the block; call what it yields to move
    it on."""
    with moving_clock(cluster) as move:
        move(instant)
        yield move
