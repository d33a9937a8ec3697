"""Operator actions through the API go to the audit log, under the calling key's name."""

from contextlib import AbstractAsyncContextManager
from typing import Annotated

from fastapi import Depends

from api.auth import OperatorDep, Principal
from api.deps import SessionsDep
from storage.audit import AuditEntry, audited


class Auditor:
    def __init__(self, sessions: SessionsDep, principal: Principal) -> None:
        self._sessions = sessions
        self._principal = principal

    def __call__(self, action: str, target: str | None) -> AbstractAsyncContextManager[AuditEntry]:
        return audited(self._sessions, f"key:{self._principal.name}", action, target)


async def get_auditor(sessions: SessionsDep, principal: OperatorDep) -> Auditor:
    """The `ops` scope is required: only operators' actions are audited actions."""
    return Auditor(sessions, principal)


AuditorDep = Annotated[Auditor, Depends(get_auditor)]
