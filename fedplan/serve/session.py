"""Per-browser state: each browser session has its own copy of every loaded plan, edited
independently, with its own undo and redo. A session is named by an unguessable id (a cookie set
with the page, or the ``X-Fedplan-Session`` header); clients that send neither share one
"default" session, so a script without cookies still sees its own edits from one call to the next.
"""
from __future__ import annotations

import secrets
import threading
from collections import OrderedDict

from .edits import PlanState
from .errors import ApiError
from .workspace import LoadedPlan

MAX_SESSIONS = 64              # memory bound; the oldest idle session is dropped first
MAX_HISTORY = 500              # undo depth per plan


class Workbench:
    """One session's edits of one plan: a list of states and where we are in it."""

    def __init__(self, plan: LoadedPlan):
        self.plan = plan
        self.history: list[PlanState] = [PlanState(dict(plan.start_assignment), dict(plan.start_hubs))]
        self.pos = 0
        self.lock = threading.RLock()

    @property
    def state(self) -> PlanState:
        return self.history[self.pos]

    def push(self, state: PlanState) -> PlanState:
        with self.lock:
            del self.history[self.pos + 1:]
            self.history.append(state)
            if len(self.history) > MAX_HISTORY:
                self.history.pop(0)
            self.pos = len(self.history) - 1
            return state

    def undo(self) -> PlanState:
        with self.lock:
            if self.pos == 0:
                raise ApiError(409, "nothing to undo: this is the plan as loaded.")
            self.pos -= 1
            return self.state

    def redo(self) -> PlanState:
        with self.lock:
            if self.pos >= len(self.history) - 1:
                raise ApiError(409, "nothing to redo.")
            self.pos += 1
            return self.state

    def edits(self) -> list[dict]:
        """The edits that made the current plan, in order (recorded in a saved run's manifest)."""
        return [dict(s.edit) for s in self.history[1:self.pos + 1] if s.edit]

    def can(self) -> dict:
        return {"undo": self.pos > 0, "redo": self.pos < len(self.history) - 1,
                "undo_label": self.state.edit.get("op") if self.pos > 0 else None,
                "redo_label": self.history[self.pos + 1].edit.get("op") if self.pos < len(self.history) - 1 else None}


class Sessions:
    def __init__(self, plans: dict[str, LoadedPlan]):
        self.plans = plans
        self._benches: OrderedDict[str, dict[str, Workbench]] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def new_id() -> str:
        return secrets.token_urlsafe(18)

    def plan(self, plan_id: str) -> LoadedPlan:
        plan = self.plans.get(plan_id)
        if plan is None:
            raise ApiError(404, f"'id': there is no plan {plan_id!r}; GET /api/plans lists them "
                                f"({', '.join(self.plans) or 'none'}).")
        return plan

    def bench(self, session: str, plan_id: str) -> Workbench:
        plan = self.plan(plan_id)
        with self._lock:
            benches = self._benches.get(session)
            if benches is None:
                benches = self._benches[session] = {}
                while len(self._benches) > MAX_SESSIONS:
                    self._benches.popitem(last=False)
            self._benches.move_to_end(session)
            if plan_id not in benches:
                benches[plan_id] = Workbench(plan)
            return benches[plan_id]

    def add_plan(self, plan: LoadedPlan) -> None:
        with self._lock:
            self.plans[plan.id] = plan
