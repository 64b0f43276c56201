"""The ledger consumer as a worker of the scoring service: graceful, so at shutdown it finishes
and commits the batch in hand."""

from services.common.runtime import ServiceRuntime, WorkerSpec
from services.scoring.ledger.consumer import BatchHandler, BatchInboxConsumer
from services.scoring.ledger.handlers import LEDGER_CONSUMER, LEDGER_KEYED_EVENTS, apply_batch
from services.scoring.tables import messaging

# Typed here, so the handler the consumer gets is checked against `BatchHandler`.
LEDGER_BATCH_HANDLER: BatchHandler = apply_batch


async def run_ledger_consumer(runtime: ServiceRuntime) -> None:
    if not runtime.settings.run_consumers:
        await runtime.stopping.wait()
        return
    consumer = BatchInboxConsumer(
        spec=LEDGER_CONSUMER,
        batch_handler=LEDGER_BATCH_HANDLER,
        sessions=runtime.sessions,
        outbox=runtime.outbox,
        tables=messaging,
        kafka=runtime.kafka,
        stopping=runtime.stopping,
        keyed_types=LEDGER_KEYED_EVENTS,
        readiness=runtime.readiness,
    )
    await consumer.run()


LEDGER_WORKER = WorkerSpec(
    f"consumer {LEDGER_CONSUMER.group_id}", run_ledger_consumer, graceful=True
)
