"""進学's abstract (抄本, domain-japan.md §2.3; 施行規則 §24②; ADR 0027): the in-ledger view a junior
high reads and the packet that leaves the ledger carry what the reference lists and no more, on
SQLite and PostgreSQL.

The child came to elementary school SENDING with a signed packet from another ledger (a received
copy), had a change of name and a leave there, moved to elementary school RECEIVING in grade 6,
graduated from it and advanced to a junior high.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

import msgspec

from domain.backend import Backend
from domain.ledger import Ledger
from domain.signing import b64url
from domain.student import Identity, StudentHandedOver
from domain.transfer_packet import FORMAT, PacketSchool, TransferPacket
from projections import runner_for
from projections.forms import Forms
from projections.forms.transfer_packet import content
from tests import builders as b

SENDING, RECEIVING, OUTSIDE_JH = b.ELEMENTARY, b.OTHER_ELEMENTARY, "C112210000014"
REMARKS = "最高学年として下級生の面倒をよく見た。"


def _graduate_of_two_schools(ledger: Ledger) -> UUID:
    b.school_with_calendar(ledger, SENDING)
    b.school_with_calendar(ledger, RECEIVING, name="鳥取市立うみ小学校")
    for code in (SENDING, RECEIVING):
        ledger.form_class(code, b.YEAR, 6, "1", homeroom_teacher_id=b.STAFF, homeroom_teacher_name="山田 花子",
                          on=date(2026, 4, 6), recorded_by="admin")
    packet = TransferPacket(
        format=FORMAT, packet_id="p-6", issuer="jp-12-chiba", issued_at=datetime(2026, 4, 30, tzinfo=UTC),
        kind="transfer", student_id="s-6", identity=msgspec.convert(b.identity(1, birth_date="2014-06-01"), Identity),
        from_school=PacketSchool("B112210000019", "千葉市立うみ小学校"), to_school=PacketSchool(SENDING),
        left_on=date(2026, 4, 30), accepted_on=date(2026, 5, 1), year=b.YEAR, grade=6, record_kind="copy",
        cumulative_record={"form2": [{"year": 2025, "grade": 5, "general_remarks": "千葉での所見"}]},
        health_card={}, dental_card={})
    jws = "e30." + b64url(json.dumps(msgspec.to_builtins(packet)).encode()) + ".c2ln"
    receipt, _ = ledger.receive_transfer(packet, jws, school_code=SENDING, class_name="1", number=1,
                                         recorded_by="registrar")
    child = receipt.stream_id
    ledger.change_identity(child, b.identity(1, birth_date="2014-06-01", family_name="鈴木"), reason="養子縁組",
                           on=date(2026, 6, 1), recorded_by="registrar")
    ledger.begin_leave(child, on=date(2026, 6, 15), reason="病気療養", recorded_by="principal")
    ledger.end_leave(child, on=date(2026, 7, 1), recorded_by="principal")
    ledger.hand_over(child, kind="transfer", to_school=RECEIVING, left_on=date(2026, 10, 2),
                     accepted_on=date(2026, 10, 5), year=b.YEAR, grade=6, reason="転居", class_name="1", number=1,
                     recorded_by="registrar")
    ledger.enter_year_record(child, b.YEAR, record={"general_remarks": REMARKS}, on=date(2027, 3, 15),
                             recorded_by="admin")
    ledger.graduate(child, on=date(2027, 3, 19), recorded_by="principal")
    return child


def _assert_abstract(record: dict[str, Any]) -> None:
    """What §2.3 lists, no more: one 様式2 row, RECEIVING's grade 6 (the school graduated from), with
    its 総合所見; 様式1 with name, sex, birth date, address and the graduation day, and none of the
    earlier periods' identity trail, 入学前の経歴 or leaves; no received copy."""
    assert [(r["school_code"], r["grade"], r["source"]) for r in record["form2"]] == [(RECEIVING, 6, "abstract")]
    assert record["form2"][0]["general_remarks"] == REMARKS
    assert record["form2"][0]["earlier_remarks"] == []
    form1 = record["form1"]
    assert (form1["name"], form1["sex"], form1["birth_date"], form1["graduation"]) == (
        "鈴木 陽翔1", "女", "2014-06-01", {"on": "2027-03-19"})
    assert (form1["identity_trail"], form1["prior_history"], form1["leaves"]) == ([], "", [])
    # 学校名及び所在地: the school graduated from (and the reader's own); the earlier school is not named.
    assert SENDING not in [x["school_code"] for x in form1["schools"]]
    assert [x["school_code"] for x in form1["years"]] == [RECEIVING]
    assert [(m["from_school"], m["kind"]) for m in form1["moves"]] == [(RECEIVING, "advancement")]
    assert record["received"] == []


def test_a_junior_high_in_the_ledger_reads_only_the_abstract_of_the_graduating_school(
        backend: Backend, ledger: Ledger) -> None:
    child = _graduate_of_two_schools(ledger)
    b.school_with_calendar(ledger, b.JUNIOR_HIGH, name="鳥取市立みどり中学校")
    ledger.hand_over(child, kind="advancement", to_school=b.JUNIOR_HIGH, left_on=date(2027, 3, 19),
                     accepted_on=date(2027, 4, 7), year=2027, grade=1, recorded_by="board")
    runner = runner_for(ledger, backend)
    runner.catch_up()
    record = Forms(runner).cumulative_record(child, school=b.JUNIOR_HIGH)
    assert record is not None
    _assert_abstract(record)


def test_the_advancement_packet_carries_the_abstract_and_the_health_cards_and_no_received_packet(
        backend: Backend, ledger: Ledger) -> None:
    child = _graduate_of_two_schools(ledger)
    receipt = ledger.hand_over(child, kind="advancement", to_school=OUTSIDE_JH, external=True,
                               to_school_name="千葉市立うみ中学校", left_on=date(2027, 3, 19),
                               accepted_on=date(2027, 4, 7), year=2027, grade=1, recorded_by="board")
    [(position, move)] = [(p, e) for p, e in ledger.events_in_streams([child]) if isinstance(e, StudentHandedOver)
                          and e.kind == "advancement"]
    assert position <= receipt.position
    runner = runner_for(ledger, backend)
    runner.catch_up()
    assert isinstance(move, StudentHandedOver)
    packet = content(Forms(runner), move, position, issuer="jp-31-tottori")
    assert packet is not None
    assert packet.record_kind == "abstract"
    _assert_abstract(packet.cumulative_record)
    assert "guardian" not in packet.cumulative_record["form1"]  # the junior high records its own (§2.3)
    assert packet.received == []  # the signed packet SENDING received stays whole at home (ADR 0027)
    assert packet.health_card["title"] == "児童生徒健康診断票(一般)"  # §8②: the 健康診断票 still goes
