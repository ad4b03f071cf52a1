"""Dead letters (issue #12, item 5): an event a consumer cannot apply is parked here after its
attempts, with the error that stopped it, so its partition moves on; an operator lists what is
parked and asks for a retry once the cause is fixed. The worker runs the retry through the same
inbox as any delivery, so an event is applied once however often it is retried.

What an operator sees names the event (topic, partition, offset, id, known type and producer)
and the error by its class and a message written by us: never the payload, never a string the
sender chose. The message itself is kept (`message`, never served) for the retry."""
