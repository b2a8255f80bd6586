"""The transfer packet's published JSON Schema is the one the code decodes with."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema_rs
import msgspec

from domain.transfer_packet import TransferPacket, schema

PUBLISHED = Path(__file__).parents[2] / "docs" / "transfer-packet.schema.json"


def test_the_published_schema_is_generated_from_the_packet_types() -> None:
    assert json.loads(PUBLISHED.read_text(encoding="utf-8")) == schema(), (
        "regenerate it: python -m domain.transfer_packet > docs/transfer-packet.schema.json")


def test_the_published_schema_is_a_valid_json_schema_that_refuses_unknown_members() -> None:
    published = json.loads(PUBLISHED.read_text(encoding="utf-8"))
    validator = jsonschema_rs.validator_for(published)
    packet = {"format": "gakuseki-transfer-packet/1", "packet_id": "p", "issuer": "jp-31-tottori",
              "issued_at": "2026-06-05T00:00:00Z", "kind": "transfer", "student_id": "s",
              "identity": {"family_name": "佐藤", "given_name": "陽翔", "family_name_kana": "さとう",
                           "given_name_kana": "はると", "sex": "male", "birth_date": "2019-06-01",
                           "address": "鳥取県鳥取市東町1-220",
                           "guardian": {"name": "佐藤 健", "name_kana": "さとう けん", "relation": "父"}},
              "from_school": {"code": "B131220000013"}, "to_school": {"code": "B127210000017"},
              "left_on": "2026-06-05", "accepted_on": "2026-06-08", "year": 2026, "grade": 1,
              "record_kind": "copy", "cumulative_record": {}, "health_card": {}, "dental_card": {}}
    assert validator.is_valid(packet)
    assert not validator.is_valid({**packet, "extra": 1})
    assert not validator.is_valid({**packet, "kind": "exchange"})
    assert msgspec.convert(packet, TransferPacket).issuer == "jp-31-tottori"
