"""A FastAPI service over durable doors (docs/python.md, "Recipes").

    STATEWRIGHT_STORE=doors uvicorn fastapi_doors:app      (from examples/recipes)

Each door is an instance of examples/door.smcat in a store (a folder, or a PostgreSQL URL in
STATEWRIGHT_STORE), run by the generated class with its hooks:

    PUT  /doors/{id}                   create it (201; 409 when it exists)
    POST /doors/{id}/events/{event}    send an event, its JSON body the event's data; the
                                       Idempotency-Key header makes a retry safe: the same
                                       key is acknowledged again, never applied twice
    GET  /doors/{id}                   its state and version

Mistakes answer with a status and a sentence, never a traceback: an unknown door 404, an
event the chart has no transition for 422 (with the closest event), a finished door 409.
"""

from __future__ import annotations

import os
from typing import Any

from door_logic import CHART
from fastapi import Body, FastAPI, Header, HTTPException

from statewright.runtime.store import (
    BadEventId,
    InstanceExists,
    InstanceFinished,
    UnknownEvent,
    UnknownInstance,
    open_store,
)

store = open_store(os.environ.get("STATEWRIGHT_STORE", "doors-store"))
app = FastAPI(title="doors")


@app.put("/doors/{door_id}", status_code=201)
def create(door_id: str) -> dict[str, Any]:
    try:
        with store.create(door_id, CHART, context={"jammed": 0}) as door:
            return {"id": door_id, "configuration": door.configuration, "version": door.version}
    except InstanceExists as error:
        raise HTTPException(409, str(error)) from None
    except ValueError as error:  # a resource id that could name a path
        raise HTTPException(400, str(error)) from None


@app.post("/doors/{door_id}/events/{event}")
def send(
    door_id: str,
    event: str,
    data: dict[str, Any] | None = Body(default=None),  # noqa: B008 - FastAPI's way
    idempotency_key: str | None = Header(default=None),  # noqa: B008
) -> dict[str, Any]:
    try:
        receipt = store.send(door_id, event, data or {}, event_id=idempotency_key, chart=CHART)
    except UnknownInstance as error:
        raise HTTPException(404, str(error)) from None
    except UnknownEvent as error:
        raise HTTPException(422, str(error)) from None
    except InstanceFinished as error:
        raise HTTPException(409, str(error)) from None
    except (BadEventId, ValueError) as error:
        raise HTTPException(400, str(error)) from None
    return receipt.to_dict()


@app.get("/doors/{door_id}")
def show(door_id: str) -> dict[str, Any]:
    try:
        state = store.state_at(door_id)
    except UnknownInstance as error:
        raise HTTPException(404, str(error)) from None
    except ValueError as error:
        raise HTTPException(400, str(error)) from None
    return {
        "id": door_id,
        "configuration": state["configuration"],
        "version": state["version"],
        "context": state["context"],
    }
