import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="Liveness and the state of Temporal and the database (no auth)")
async def healthz(request: Request) -> JSONResponse:
    state = request.app.state
    database = "ok"
    try:
        async with state.sessions() as session:
            await asyncio.wait_for(session.execute(text("SELECT 1")), timeout=3)
    except Exception:
        database = "unavailable"
    temporal = "ok"
    try:
        client = await state.temporal.client()
        await asyncio.wait_for(client.service_client.check_health(), timeout=3)
    except Exception:
        temporal = "unavailable"
    ok = database == "ok" and temporal == "ok"
    return JSONResponse(
        status_code=200 if ok else 503,
        content={"status": "ok" if ok else "degraded", "database": database, "temporal": temporal},
    )
