"""Every way a command can be refused, one class per rule.

Each error names the field it is about and a stable rule code, so that the API can answer
RFC 9457 problem+json ("which field, which rule") without parsing messages.
"""

from __future__ import annotations


class LedgerError(Exception):
    """Base of every refusal the ledger gives."""

    rule: str = "ledger-error"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class RuleViolation(LedgerError):
    """The command breaks a rule of the register; nothing was recorded."""

    rule = "rule-violation"


class NotFound(LedgerError):
    """The thing the command names does not exist (or is out of the caller's sight)."""

    rule = "not-found"


class ConcurrencyConflict(LedgerError):
    """Someone else wrote to the same stream first; reload and try again."""

    rule = "concurrency-conflict"


class JudgedOnChanged(ConcurrencyConflict):
    """A stream the write was decided on (the school year) changed before it was saved."""

    rule = "judged-on-changed"


class StoreUnavailable(LedgerError):
    """The ledger's database could not be reached (a lost connection, a restart); nothing was recorded."""

    rule = "store-unavailable"


class SaveOutcomeUnknown(StoreUnavailable):
    """The connection was lost while a write committed and the database could not be asked after: the
    write may or may not be recorded (a retry with the same Idempotency-Key answers which)."""

    rule = "save-outcome-unknown"


def _rule(name: str, base: type[LedgerError] = RuleViolation) -> type[LedgerError]:
    return type(name, (base,), {"rule": _slug(name)})


def _slug(name: str) -> str:
    out = []
    for i, ch in enumerate(name):
        if ch.isupper() and i:
            out.append("-")
        out.append(ch.lower())
    return "".join(out)


# Identity and values
InvalidSchoolCode = _rule("InvalidSchoolCode")
InvalidBoardCode = _rule("InvalidBoardCode")
InvalidSchoolKind = _rule("InvalidSchoolKind")
BlankText = _rule("BlankText")
TextTooLong = _rule("TextTooLong")
KanaNotKana = _rule("KanaNotKana")
InvalidSex = _rule("InvalidSex")
ImplausibleBirthDate = _rule("ImplausibleBirthDate")
GradeOutOfRange = _rule("GradeOutOfRange")
InvalidClassName = _rule("InvalidClassName")
InvalidAttendanceNumber = _rule("InvalidAttendanceNumber")
DuplicateAttendanceNumber = _rule("DuplicateAttendanceNumber")
InvalidAdmissionKind = _rule("InvalidAdmissionKind")
NothingChanged = _rule("NothingChanged")

# Schools, years, calendars, classes
SchoolAlreadyRegistered = _rule("SchoolAlreadyRegistered")
UnknownSchool = _rule("UnknownSchool", NotFound)
SchoolYearOutOfRange = _rule("SchoolYearOutOfRange")
DateOutsideSchoolYear = _rule("DateOutsideSchoolYear")
InvalidTermStructure = _rule("InvalidTermStructure")
InvalidClosure = _rule("InvalidClosure")
CalendarNotSet = _rule("CalendarNotSet")
NotAnInstructionalDay = _rule("NotAnInstructionalDay")
ClassClosedThatDay = _rule("ClassClosedThatDay")
ClassAlreadyFormed = _rule("ClassAlreadyFormed")
UnknownClass = _rule("UnknownClass", NotFound)
YearAlreadySealed = _rule("YearAlreadySealed")
YearIsSealed = _rule("YearIsSealed")

# Boards (ADR 0028)
InvalidBoardSetting = _rule("InvalidBoardSetting")
EffectiveBeforeLatestChange = _rule("EffectiveBeforeLatestChange")

# Students and enrollment
UnknownStudent = _rule("UnknownStudent", NotFound)
StudentAlreadyExists = _rule("StudentAlreadyExists")
PossibleDuplicate = _rule("PossibleDuplicate")  # 409: a child of the same identity is enrolled at the school
StudentNotEnrolledAtSchool = _rule("StudentNotEnrolledAtSchool")
StudentAlreadyInAClass = _rule("StudentAlreadyInAClass")
StudentWithdrawn = _rule("StudentWithdrawn")
StudentGraduated = _rule("StudentGraduated")
StudentOnLeave = _rule("StudentOnLeave")
StudentNotOnLeave = _rule("StudentNotOnLeave")
DateBeforeEnrollment = _rule("DateBeforeEnrollment")

# hand-over (転学, 進学)
InvalidHandoverKind = _rule("InvalidHandoverKind")
HandoverToSameSchool = _rule("HandoverToSameSchool")
AcceptedBeforeLeaving = _rule("AcceptedBeforeLeaving")
StudentNotGraduated = _rule("StudentNotGraduated")
ReceivingSchoolNotInLedger = _rule("ReceivingSchoolNotInLedger")
ReceivingSchoolInLedger = _rule("ReceivingSchoolInLedger")

# Attendance
StudentNotInClass = _rule("StudentNotInClass")
StudentMissingFromRoll = _rule("StudentMissingFromRoll")
DuplicateStudentInRoll = _rule("DuplicateStudentInRoll")
UnknownMarkCode = _rule("UnknownMarkCode")
MarkNeedsAuthority = _rule("MarkNeedsAuthority")
MarkNeedsFacility = _rule("MarkNeedsFacility")
AttendanceAlreadyMarked = _rule("AttendanceAlreadyMarked")
NoMarkToCorrect = _rule("NoMarkToCorrect", NotFound)
DateInTheFuture = _rule("DateInTheFuture")  # a roll or mark of a day that has not come (a calendar may plan ahead)

# Assessments and year records
InvalidViewpoint = _rule("InvalidViewpoint")
UnknownSubject = _rule("UnknownSubject")
SubjectNotTaughtInGrade = _rule("SubjectNotTaughtInGrade")
TermOutOfRange = _rule("TermOutOfRange")
RatingNotAllowed = _rule("RatingNotAllowed")
RatingRequired = _rule("RatingRequired")
RatingOutOfScale = _rule("RatingOutOfScale")
UnknownBehaviourItem = _rule("UnknownBehaviourItem")
UnknownSpecialActivity = _rule("UnknownSpecialActivity")
IntegratedStudyNotInGrade = _rule("IntegratedStudyNotInGrade")
ForeignLanguageActivitiesNotInGrade = _rule("ForeignLanguageActivitiesNotInGrade")

# Health
MeasurementOutOfRange = _rule("MeasurementOutOfRange")
TooPrecise = _rule("TooPrecise")
InvalidVisionGrade = _rule("InvalidVisionGrade")
InvalidFinding = _rule("InvalidFinding")
InvalidToothCode = _rule("InvalidToothCode")
UnknownTooth = _rule("UnknownTooth")
ExaminationNotTakenInGrade = _rule("ExaminationNotTakenInGrade")

# Corrections
CorrectionNeedsReason = _rule("CorrectionNeedsReason")
CorrectionNeedsApproval = _rule("CorrectionNeedsApproval")
UnknownEventToCorrect = _rule("UnknownEventToCorrect", NotFound)
AlreadyRecorded = _rule("AlreadyRecorded")
ExaminationRequiredInGrade = _rule("ExaminationRequiredInGrade")
InvalidValue = _rule("InvalidValue")

# Transfer packets (signed hand-over documents from another ledger); every one is refused before
# anything is recorded, and names the packet as the field.


class PacketRefused(RuleViolation):
    """A transfer packet was refused (base of the packet rules; the field is the packet)."""

    rule = "packet-refused"

    def __init__(self, message: str, *, field: str | None = "packet") -> None:
        super().__init__(message, field=field)


PacketMalformed = _rule("PacketMalformed", PacketRefused)
PacketUnsigned = _rule("PacketUnsigned", PacketRefused)
PacketAlgorithmRefused = _rule("PacketAlgorithmRefused", PacketRefused)
PacketUnknownIssuer = _rule("PacketUnknownIssuer", PacketRefused)
PacketSignatureInvalid = _rule("PacketSignatureInvalid", PacketRefused)
PacketWrongDestination = _rule("PacketWrongDestination", PacketRefused)
PacketProofInvalid = _rule("PacketProofInvalid", PacketRefused)  # its events are not proven in the issuer's log


# The transparency log (ADR 0030): signed notes, checkpoints and cosignatures that do not verify, and
# checkpoints the ledger or a witness must not sign or accept; the field is the checkpoint.


class CheckpointRefused(RuleViolation):
    """A signed note, checkpoint or cosignature was refused (base of the checkpoint rules)."""

    rule = "checkpoint-refused"

    def __init__(self, message: str, *, field: str | None = "checkpoint") -> None:
        super().__init__(message, field=field)


NoteMalformed = _rule("NoteMalformed", CheckpointRefused)  # not a C2SP signed note / checkpoint body
NoteUnverified = _rule("NoteUnverified", CheckpointRefused)  # no signature by a known key
NoteSignatureInvalid = _rule("NoteSignatureInvalid", CheckpointRefused)  # a known key's signature fails
CheckpointWrongOrigin = _rule("CheckpointWrongOrigin", CheckpointRefused)  # another log's checkpoint
CheckpointSmaller = _rule("CheckpointSmaller", CheckpointRefused)  # the tree shrank: a truncated log
CheckpointFork = _rule("CheckpointFork", CheckpointRefused)  # same size, another root: a fork
CheckpointInconsistent = _rule("CheckpointInconsistent", CheckpointRefused)  # the proof does not verify
