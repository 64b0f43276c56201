"""One log format for every process, with the request id on each line."""

import logging

from services.common.middleware import current_request_id


class _RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id()
        return True


def configure_logging(level: str) -> None:
    handler = logging.StreamHandler()
    handler.addFilter(_RequestIdFilter())
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # aiokafka logs every reconnect attempt at ERROR while the broker is away; the relay and
    # consumer report outages themselves, once, in words an operator can act on.
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    # httpx logs every request it sends at INFO: on the gateway, a formatted line per proxied
    # call, which costs more than the proxying; gateway/proxy.py logs the calls that fail.
    for chatty in ("httpx", "httpcore"):
        logging.getLogger(chatty).setLevel(logging.WARNING)
