"""Read models rebuilt from the log: one module per question (a form, a roster, a figure).

How they run on SQLite and PostgreSQL is ADR 0005; why they are JSON documents, ADR 0009.
"""

from __future__ import annotations

from domain.backend import Backend
from domain.ledger import Ledger
from domain.transparency.note import NoteSigner
from projections.alert_raiser import AlertRaiser
from projections.alerts import Alerts
from projections.attendance_index import AttendanceIndex
from projections.attendance_register import AttendanceRegister
from projections.base import Projection
from projections.board_settings import BoardSettingsProjection
from projections.checkpoints import EVERY, CheckpointPublisher
from projections.enrollment_record import EnrollmentRecord
from projections.guidance_record import GuidanceRecord
from projections.health_records import HealthRecords
from projections.merkle_log import MerkleLog
from projections.roster import Roster
from projections.runner import Runner
from projections.store import DocumentStore


def all_projections() -> list[Projection]:
    return [Roster(), AttendanceRegister(), EnrollmentRecord(), GuidanceRecord(),
            AttendanceIndex(), HealthRecords(), BoardSettingsProjection(), Alerts()]


def runner_for(ledger: Ledger, backend: Backend, signer: NoteSigner | None = None,
               checkpoint_seconds: float = EVERY) -> Runner:
    """The runner of every read model, of the Merkle log and of the alert process (ADR 0042); with
    ``signer`` (the ledger's key, named by the ledger id) its poller also signs checkpoints, at most
    every ``checkpoint_seconds``."""
    runner = Runner(ledger, DocumentStore(ledger.storage), all_projections(), merkle_log=MerkleLog(ledger),
                    publisher=None if signer is None else CheckpointPublisher(ledger, signer, checkpoint_seconds))
    runner.raiser = AlertRaiser(runner)
    return runner
