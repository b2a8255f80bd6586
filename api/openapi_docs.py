"""The OpenAPI for readers: a description of every operation, the shape of every read and an example
of what it answers (issue 13 item 5; ADR 0037).

Litestar documents what the handlers declare: the summary, the parameters, the bodies, the errors
(api/app.py completes those). This module adds what a reader needs besides, kept apart from the
handlers so the text can be read (and reviewed) in one place:
- ``DESCRIPTIONS``: what each operation does, who may call it (the default policy, api/policy.py),
  whether it needs a multi-factor token and whether the read is logged;
- ``read_response``: the typed 200 shape of the reads that answer a plain object (api/form_shapes.py);
- ``EXAMPLES`` (api/read_examples.json): one answer of every read, taken from the demo jurisdiction and
  shortened (lists to their first entries, a month's days to three); tests validate each against its
  schema, and the schemas against real answers.
"""

from __future__ import annotations

import json
import re
from importlib import resources
from typing import Any

from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Example, OpenAPI, Reference
from litestar.openapi.spec.base import BaseSchemaObject

from api.form_shapes import SHAPES

MFA = "Needs a multi-factor token (`amr` contains `mfa`)."
LOGGED = "Every read, and every refusal, is written to the access log."
FORM = ("Send `Accept: text/html` for the printable page or `Accept: application/pdf` (or `format=html|pdf`) "
        "for the PDF; `as_of` (a log position or a time) reads it as known then, `wait_for` waits for your "
        "own write.")
WRITE = "The answer names the events recorded and the log `position` to pass as `wait_for`."

DESCRIPTIONS: dict[tuple[str, str], str] = {
    ("get", "/health"): "Whether the ledger answers, its last log position, and each projection's position, lag "
                        "and whether it has stopped advancing; 503 when the ledger cannot be read, a projection "
                        "stalled or the ledger refused to sign a checkpoint.",
    ("put", "/v1/schools/{school_code}"): "Records the school (name, kind, board) in the board's register. The "
                                          f"board of that board code may. {WRITE} The same details again: 200, "
                                          "nothing recorded.",
    ("put", "/v1/schools/{school_code}/principal"): "Appoints the principal from a day; the name is printed on the "
                                                    f"forms. The school's board may. {WRITE}",
    ("put", "/v1/schools/{school_code}/years/{year}/calendar"):
        "Sets the school year's terms, the instructional days (授業日) per grade and the closures (whole school, "
        "grade or class). The principal may; a sealed year is refused. The same calendar again: 200, nothing "
        "recorded.",
    ("put", "/v1/schools/{school_code}/years/{year}/classes/{grade}/{name}"):
        f"Forms the class with its homeroom teacher (staff id and name). The registrar or the principal may. {WRITE}",
    ("post", "/v1/schools/{school_code}/years/{year}/seal"):
        "Seals the school year's records (学年末確定): afterwards a change to that year is a correction with a "
        "reason and the principal's approval. The principal may.",
    ("post", "/v1/students"): "Admits a child (入学, 編入学) into a formed class with their identity and guardian. "
                              "The registrar or the principal may. A child with the name, kana, birth date and "
                              "guardian of a child enrolled at the school is 409 `possible-duplicate` unless the "
                              f"body says `different_child`. {WRITE} The new student's id is `stream_id`.",
    ("post", "/v1/students/{student_id}/identity-changes"):
        f"Records changed identity details (name, kana, address, guardian) with the reason; the earlier values "
        f"stay in the record. The registrar or the principal of the school that holds the child may. {WRITE}",
    ("post", "/v1/students/{student_id}/leaves"): "Records a leave of absence (休学) from a day. The registrar or the "
                                                   f"principal may. {WRITE}",
    ("post", "/v1/students/{student_id}/returns"): "Records the return from leave (復学) on a day. The registrar "
                                                    f"or the principal may. {WRITE}",
    ("post", "/v1/students/{student_id}/withdrawal"): "Records a withdrawal (退学) on the day the principal approved "
                                                       f"it. The registrar or the principal may. {WRITE}",
    ("post", "/v1/students/{student_id}/graduation"): "Records the graduation (卒業) from the school's final grade. "
                                                       f"The registrar or the principal may. {WRITE}",
    ("get", "/v1/students/{student_id}"): "The child's name, status, the school that holds them, their enrollments "
                                          "and classes, and the version (the ETag, for If-Match). Everyone whose "
                                          "duty covers the child may read it; anyone else gets 404, as for a child "
                                          "who does not exist.",
    ("post", "/v1/attendance-rolls"): "Records the marks of every child of one class for one day in one transaction "
                                      "(出欠: present, absent, late, left early, 出席停止, 忌引, 出席扱い …). The "
                                      "class's homeroom teacher or the principal may; a day after today is 422. "
                                      f"{WRITE}",
    ("post", "/v1/students/{student_id}/attendance-corrections"):
        "Corrects one day's mark, naming the mark it replaces and the reason; the register shows both. The class's "
        f"homeroom teacher or the principal may. {WRITE}",
    ("post", "/v1/students/{student_id}/assessments"):
        "Records a subject's 観点別学習状況 (A/B/C for each viewpoint) and 評定 for a term. A subject teacher of "
        f"that subject in the child's class, or the principal, may. {WRITE}",
    ("post", "/v1/students/{student_id}/year-records"):
        "Records the year's 道徳, 総合的な学習の時間, 特別活動, 行動の記録 and 総合所見 of the 指導要録. The class's "
        f"homeroom teacher or the principal may. {WRITE}",
    ("post", "/v1/students/{student_id}/health-exams"): "Records the annual health examination (健康診断票 一般). The "
                                                         f"nurse (養護教諭) or the principal may. {WRITE}",
    ("post", "/v1/students/{student_id}/dental-exams"): "Records the dental examination with its tooth chart "
                                                         "(健康診断票 歯・口腔). The nurse or the principal may. "
                                                         f"{WRITE}",
    ("post", "/v1/students/{student_id}/corrections"):
        "Corrects an assessment, a year record or an examination: names the event corrected (its stream version) "
        "and the reason; the forms show the new value with the one it replaced. Who may write that record may "
        f"correct it; in a sealed year only the principal. {WRITE}",
    ("get", "/v1/students/{student_id}/history"): "Every event about the child in log order: what it recorded, the "
                                                  "day it is about, when and by whom it was recorded, why, and for a "
                                                  "correction what it replaced. The principal or an auditor may. "
                                                  f"{MFA} {LOGGED}",
    ("get", "/v1/log"): "The change feed: every event after a log position, in log order, a page ending on a "
                        "transaction boundary; `next` is the position to ask after. An auditor without a school or "
                        f"board claim may. {MFA} {LOGGED}",
    ("get", "/v1/access-log"): "Who read which sensitive record, when, with which roles, and the outcome (a refusal "
                               "too), filtered by student or staff. An auditor without a school or board claim may. "
                               f"{MFA}",
    ("get", "/v1/schools/{school_code}/years/{year}/classes/{grade}/{name}/roster"):
        "名簿: the class's children with their 出席番号, sex, kana and the days they were on its roll; `on` gives "
        f"those on the roll that day. Everyone whose duty covers the class may. {FORM}",
    ("get", "/v1/schools/{school_code}/years/{year}/classes/{grade}/{name}/attendance-register"):
        "出席簿 of one month: each child's daily marks with their correction trails, and the month, term and year "
        "totals (授業日数, 出席停止・忌引等, 出席しなければならない日数, 欠席, 出席, 遅刻, 早退) counted to the "
        "day read. "
        f"The class's homeroom teacher, the nurse, the principal or an auditor may. {FORM}",
    ("get", "/v1/students/{student_id}/forms/cumulative-record"):
        "指導要録: 様式1 (学籍に関する記録) and 様式2 (指導に関する記録) of every school year, with the copies or "
        "abstract received at a move, each correction beside the value it replaced. The homeroom teacher, the "
        f"principal or an auditor may. {MFA} {LOGGED} {FORM}",
    ("get", "/v1/students/{student_id}/forms/report-card"):
        "通知表 of one term of a school year at the child's school: the subjects' viewpoints and ratings, the "
        f"term's 出欠 and 所見. The homeroom teacher or the principal may. {MFA} {LOGGED} {FORM}",
    ("get", "/v1/students/{student_id}/forms/health-card"):
        "健康診断票(一般) of the child's school kind, a column per school year, with the card of an earlier school "
        f"kind sent along at 進学. The nurse, the principal or an auditor may. {MFA} {LOGGED} {FORM}",
    ("get", "/v1/students/{student_id}/forms/dental-card"):
        "健康診断票(歯・口腔): each school year's tooth chart, its counts and the dentist's remarks. The nurse, the "
        f"principal or an auditor may. {MFA} {LOGGED} {FORM}",
    ("get", "/v1/schools/{school_code}/years/{year}/long-absence"):
        "長期欠席: the school year's children absent 30 days or more, and runs of seven school days absent whose "
        f"notice to the board is due. The principal, the board or an auditor may. {MFA} {LOGGED} {FORM}",
    ("post", "/v1/students/{student_id}/handovers"):
        "転学 or 進学: custody of the child passes to the receiving school in one event; inside the ledger it reads "
        "the copy (写し) or abstract (抄本), outside it a signed transfer packet is issued. The registrar or the "
        f"principal of the child's school may. {WRITE}",
    ("post", "/v1/schools/{school_code}/years/{year}/advancements"):
        "進学 of a whole final grade (or a list of children) to their junior highs: one hand-over per child, each "
        "reported; one child's refusal does not stop the others, and a child already advanced is reported as "
        "such. The board may.",
    ("get", "/v1/students/{student_id}/transfer-packet"):
        "The signed transfer packet of a hand-over out of the ledger (RFC 8785 JSON in a JWS signed with Ed25519; "
        "docs/transfer-packet.md), to give to the receiving school. The registrar or the principal of the "
        f"sending school may. {LOGGED}",
    ("post", "/v1/transfer-packets"):
        "Imports a transfer packet from another ledger: verifies the signature against the trusted issuers, "
        "checks it is for this school and admits the child here. A repeat answers 200 with the first admission; "
        "every attempt is in the access log with its outcome. The registrar or the principal of the receiving "
        "school may.",
    ("get", "/v1/boards/{board_code}/settings"):
        "The board's settings in force on a day (default today), where each took effect, the defaults and every "
        "change recorded. The board, the principals of its schools and auditors may.",
    ("put", "/v1/boards/{board_code}/settings"):
        "Sets the board's settings from a day (how its schools count 休学 days: `leave_days`; the alerts' "
        "thresholds: `alert_absence_run_days`, `alert_notice_run_days`, `alert_long_absence_days`, at most the "
        "law's 7 and 30); a setting left out is its default. The same settings already in force from that day: "
        "200, nothing recorded. The board of that code may.",
    ("get", "/v1/schools/{school_code}/years/{year}/alerts"):
        "The school year's alerts in the order raised (ADR 0042): a rule crossed for a child (`absence-run`: school "
        "days absent in a row, 3 by default; `notice-run`: 7 in a row not all for illness, 施行令 §20; "
        "`long-absence`: 30 days in the year at every school of it; `health-exam-overdue`: no examination by 30 "
        "June, 施行規則 §5, with `done_on` once one is recorded late), the days that crossed it, the threshold in "
        "force and every acknowledgement; and the counts by rule. `grade` with `class_name` narrows it to one "
        "class. The principal and auditors see every alert of the school, the class's homeroom teacher those of "
        "the class, the nurse the health examination's, the board only the counts (no child named); anyone "
        f"else 404. `as_of` reads it as known then, `wait_for` waits for your own write. {MFA} {LOGGED}",
    ("post", "/v1/alerts/{alert_id}/acknowledgements"):
        "Records what was done about an alert (`action`: a call home, a meeting …) with a `note`; each one adds to "
        "the alert's record, which shows on the alerts list and in the child's history. The homeroom teacher of "
        "the child's class (the class the alert names) or the principal of its school may; anyone else, and an "
        f"alert that does not exist, 404. {WRITE}",
}

EXAMPLES: dict[str, Any] = json.loads(resources.files("api").joinpath("read_examples.json").read_text("utf-8"))


class Verbatim(BaseSchemaObject):
    """An example's value exactly as given: Litestar drops every ``null`` inside an object when it writes
    the document, and an answer's nulls (``ended_on``, ``school_name``) are part of its shape."""

    def __init__(self, value: Any) -> None:
        self.value = value

    def to_schema(self) -> Any:
        return self.value


def route_path(path: str) -> str:
    """A handler's path as the OpenAPI writes it: ``{student_id:str}`` is ``{student_id}``."""
    return re.sub(r"\{(\w+):\w+\}", r"{\1}", path)


def read_response(path: str) -> ResponseSpec | None:
    """The 200 of a read that answers a plain object: its typed shape (api/form_shapes.py)."""
    shape = SHAPES.get(route_path(path))
    if shape is None:
        return None
    return ResponseSpec(shape, description=(shape.__doc__ or "").strip() or "The document", generate_examples=False)


def describe(schema: OpenAPI) -> None:
    """Put each operation's description and each read's example into the generated document."""
    for path, item in (schema.paths or {}).items():
        for method in ("get", "put", "post"):
            operation = getattr(item, method, None)
            if operation is None:
                continue
            if (method, path) in DESCRIPTIONS:
                operation.description = DESCRIPTIONS[(method, path)]
            ok = (operation.responses or {}).get("200")
            if method != "get" or path not in EXAMPLES or ok is None or isinstance(ok, Reference):
                continue
            media = (ok.content or {}).get("application/json")
            if media is not None:
                media.examples = {"answer": Example(summary="from the demo jurisdiction, shortened",
                                                    value=Verbatim(EXAMPLES[path]))}
