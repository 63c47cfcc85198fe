"""Correction requests: from the teacher's request to the witnessed, relocked, minuted change.

The procedure is the regulations' (000 Điều 8; 001 Điều 17.3; 003 Điều 8), one module per step:

1. a teacher who teaches the class × subject fills the request form (`form`, over the cells of
   `cells`: marks, or a primary subject's levels and periodic scores, described in `primary`)
   and files it with evidence (`submit`), before the correction cut-off, a week
   before the lock, unless the principal allowed a late request (`cutoff`); the class's
   homeroom teacher does the same for their own data of a term, whose cells are in
   `homeroom`: conduct, days absent, and (primary) qualities and competencies (000 Điều 8:
   "GVCN hoặc GVBM lập phiếu");
2. the admin board compiles and reports to the principal (`decide.forward`, one or several at
   once from the `board`), or, where the school chose it, the request goes straight to the
   principal (`routing`);
3. the principal, or a vice principal the principal delegated (`routing.delegate`), approves,
   rejects with a reason, or asks the teacher for more (`decide`; the texts they type go
   through `prompts`);
4. on approval the witnesses are named (leadership, admin board, people's inspection board,
   the teacher) and confirm; then only the request's cells open, for the teacher alone, for a
   limited time (`session`, through core.services.locks.open_cell);
5. the teacher sets exactly the approved value; each cell locks again at once, and when the
   last is done the minutes are drawn up in the worker pool and sent (`minutes`); an opening
   that runs out locks again by itself (`session.expire_sessions`, run by a job).

Every state change is a move of the one table in `states`: a second press, a stale button or a
decision on a request that has moved on raises a clear `HocbaError` and changes nothing. Every
step is audited and its notifications are written to the outbox in the same transaction.
This package re-exports the names other code uses.
"""

from core.services.corrections.board import pending_for, requests_by_state
from core.services.corrections.cells import (
    Cell,
    canonical,
    cell_target,
    find_students,
    load_cell,
    load_sheet,
    shown,
)
from core.services.corrections.cutoff import LATE_DAYS, PastCutoff, ask_late, grant_late
from core.services.corrections.decide import (
    approve,
    ask_more,
    forward,
    reject,
    supplement,
    withdraw,
)
from core.services.corrections.history import HistoryLine, history, history_of
from core.services.corrections.minutes import minutes_facts, regenerate_minutes
from core.services.corrections.routing import (
    deciders,
    delegate,
    revoke_delegation,
    set_routing,
    settings_of,
)
from core.services.corrections.session import (
    apply_value,
    confirm_witness,
    expire_sessions,
    opening_id,
)
from core.services.corrections.states import TRANSITIONS, Move
from core.services.corrections.submit import Change, Draft, new_token, submit
from core.services.corrections.views import ItemView, RequestView, load_view, view_for

__all__ = [
    "LATE_DAYS",
    "TRANSITIONS",
    "Cell",
    "Change",
    "Draft",
    "HistoryLine",
    "ItemView",
    "Move",
    "PastCutoff",
    "RequestView",
    "apply_value",
    "approve",
    "ask_late",
    "ask_more",
    "canonical",
    "cell_target",
    "confirm_witness",
    "deciders",
    "delegate",
    "expire_sessions",
    "find_students",
    "forward",
    "grant_late",
    "history",
    "history_of",
    "load_cell",
    "load_sheet",
    "load_view",
    "minutes_facts",
    "new_token",
    "opening_id",
    "pending_for",
    "regenerate_minutes",
    "reject",
    "requests_by_state",
    "revoke_delegation",
    "set_routing",
    "settings_of",
    "shown",
    "submit",
    "supplement",
    "view_for",
    "withdraw",
]
