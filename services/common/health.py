"""Liveness and readiness probes."""

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

from services.common.faults import describe

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is alive."""
    return {"status": "ok"}


@router.get("/readyz", response_model=None)
async def readyz(request: Request) -> dict[str, Any] | JSONResponse:
    """The database answers and no consumer is paused on a transient fault. Kafka is reported
    but does not gate readiness: the outbox keeps accepting writes while the broker is away."""
    runtime = request.app.state.runtime
    try:
        async with runtime.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception as exc:
        return JSONResponse({"status": "unavailable", "database": describe(exc)}, status_code=503)
    paused = runtime.readiness.problems()
    kafka = "connected" if runtime.kafka.connected else "connecting"
    if paused:
        return JSONResponse(
            {"status": "unavailable", "database": "ok", "kafka": kafka, "paused": paused},
            status_code=503,
        )
    return {"status": "ok", "database": "ok", "kafka": kafka}
