"""A board of education's settings: how its schools' registers count (ADR 0028)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

import msgspec
from litestar import Controller, MediaType, Request, Response, get, put, route
from litestar.enums import HttpMethod
from litestar.params import FromPath, JSONBody, QueryParameter

from api.context import caller, services
from api.openapi_errors import ERRORS, READ_ERRORS
from api.policy import authorize
from api.schemas import BoardSettingsIn
from api.targets import board_target
from api.writes import Recorded, write
from domain.board import DEFAULTS, BoardSettings

Req = Request[Any, Any, Any]


class SettingsShown(BoardSettings, frozen=True, omit_defaults=False):
    """Every setting, those at their default written out."""


class SettingsChange(msgspec.Struct, frozen=True):
    effective_on: date
    settings: SettingsShown
    recorded_at: datetime
    recorded_by: str


class BoardSettingsOut(msgspec.Struct, frozen=True):
    """The settings in force on a day, from which day, the defaults, and every change in the order recorded
    (the order they take effect; of two for one day the later one counts)."""

    board_code: str
    on: date
    in_force: SettingsShown
    in_force_from: date | None  # the day the change in force took effect (None: the defaults, never changed)
    defaults: SettingsShown
    changes: list[SettingsChange]


def shown(settings: BoardSettings) -> SettingsShown:
    return SettingsShown(**msgspec.structs.asdict(settings))


class BoardController(Controller):
    path = "/v1/boards/{board_code:str}"
    tags = ["boards"]
    responses = ERRORS

    @route("/settings", http_method=[HttpMethod.OPTIONS], include_in_schema=False, sync_to_thread=False)
    def allowed_methods(self) -> Response[None]:
        """The methods of the route. Litestar's own OPTIONS answer for a path with two handlers lists only one
        of them (2.25: the handler it makes reads the route it was made with), so the route says it itself."""
        return Response(None, status_code=204, headers={"Allow": "GET, OPTIONS, PUT"}, media_type=MediaType.TEXT)

    @put("/settings", sync_to_thread=True, status_code=201,
         summary="Set the board's settings from a day: how its schools' 出欠 count 休学 days (board)")
    def put_settings(self, request: Req, board_code: FromPath[str],
                     data: JSONBody[BoardSettingsIn]) -> Response[Recorded]:
        p, ledger = caller(request), services(request.app.state).ledger
        return write(request, p, "board_settings.set",
                     lambda: board_target(ledger, board_code, [g.school for g in p.grants]),
                     lambda _: ledger.set_board_settings(board_code, data.settings, effective_on=data.effective_on,
                                                         recorded_by=p.staff_id), data=data)

    @get("/settings", sync_to_thread=True, responses=READ_ERRORS,
         summary="The board's settings in force (on a day), with their history (board, its principals, auditors)")
    def get_settings(self, request: Req, board_code: FromPath[str],
                     on: Annotated[date | None, QueryParameter(
                         description="the day whose settings are in force (default: today in Japan)")] = None,
                     ) -> BoardSettingsOut:
        p, ledger = caller(request), services(request.app.state).ledger
        with ledger.reading():
            authorize(p, "board_settings.read", board_target(ledger, board_code, [g.school for g in p.grants]))
            board = ledger.board(board_code)
            day = on or ledger.today()
            taking = [c for c in board.changes if c.effective_on <= day]
            return BoardSettingsOut(
                board_code=board_code, on=day, in_force=shown(board.in_force(day)),
                in_force_from=taking[-1].effective_on if taking else None, defaults=shown(DEFAULTS),
                changes=[SettingsChange(c.effective_on, shown(c.settings), c.recorded_at, c.recorded_by)
                         for c in board.changes])
