"""`GET /keys` (admin): the API keys by name and role, never the keys themselves."""

from __future__ import annotations

from fastapi import APIRouter, Request

from api.deps import AdminKey
from api.models.common import ERROR_RESPONSES
from api.models.health import KeyPublic, KeysPublic

router = APIRouter(tags=["keys"], responses=ERROR_RESPONSES)


@router.get("/keys", summary="The API keys (names and roles only)")
def list_keys(request: Request, key: AdminKey) -> KeysPublic:
    keys = [KeyPublic(name=k.name, role=k.role.value) for k in request.app.state.keys.keys]
    return KeysPublic(data=keys, count=len(keys))
