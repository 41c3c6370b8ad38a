"""Recomputing an organization's hash chain to prove nobody rewrote its history.

Walks the entries in ``sequence`` order with ``iterator()`` (constant memory whatever the
length) and reports the first bad entry. What each reason means:

* ``missing sequence``: a gap in the sequence (a row was deleted), or the chain is shorter
  than its head says (the newest rows were deleted);
* ``broken link``: ``prev_hash`` is not the hash of the entry before (a row was replaced,
  moved or re-linked);
* ``hash mismatch``: the row's fields no longer hash to its stored hash (a row was altered);
* ``out of order``: an entry is stamped earlier than the one before it (times are taken
  under the chain lock, so they never go backwards), or lies beyond the chain head (a row
  was inserted behind the recording function's back);
* ``head mismatch``: the chain's last hash is not the one the head recorded.
"""

from dataclasses import dataclass

from django.db import connections, router, transaction

from audit.models import AuditChainHead, AuditEntry
from audit.services import GENESIS_HASH, entry_hash

MISSING_SEQUENCE = "missing sequence"
BROKEN_LINK = "broken link"
HASH_MISMATCH = "hash mismatch"
OUT_OF_ORDER = "out of order"
HEAD_MISMATCH = "head mismatch"


@dataclass(frozen=True)
class ChainProblem:
    sequence: int
    entry_id: str | None  # None when the entry is missing altogether
    reason: str
    detail: str

    def __str__(self):
        return f"sequence {self.sequence}, entry {self.entry_id or '-'}: {self.reason} ({self.detail})"


@dataclass(frozen=True)
class ChainReport:
    organization: object
    entries: int
    problem: ChainProblem | None

    @property
    def ok(self) -> bool:
        return self.problem is None


def verify_chain(organization, *, chunk_size: int = 2000) -> ChainReport:
    """Check ``organization``'s chain; call it inside that organization's scope.

    Runs in one transaction so the head and the entries are read from the same snapshot
    (REPEATABLE READ on PostgreSQL) and concurrent appends cannot look like tampering.
    """
    using = router.db_for_read(AuditEntry)
    connection = connections[using]
    # Only an outermost transaction can choose its isolation level (tests run nested).
    outermost = not connection.in_atomic_block
    with transaction.atomic(using=using):
        if outermost and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        head = AuditChainHead.objects.using(using).filter(organization=organization).first()
        head_length = head.length if head else 0
        head_hash = head.last_hash if head else GENESIS_HASH
        count, last_hash, problem = _walk(organization, head_length, chunk_size, using)
        if problem is None:
            problem = _check_end(count, head_length, head_hash, last_hash)
    return ChainReport(organization=organization, entries=count, problem=problem)


def _walk(organization, head_length, chunk_size, using):
    """Return (entries checked, last hash, first problem or None)."""
    entries = AuditEntry.objects.using(using).filter(organization=organization).order_by("sequence")
    expected, prev_hash, prev_time, count = 1, GENESIS_HASH, None, 0
    for entry in entries.iterator(chunk_size=chunk_size):
        problem = _check_entry(entry, expected, prev_hash, prev_time, head_length)
        if problem:
            return count, prev_hash, problem
        count += 1
        expected, prev_hash, prev_time = entry.sequence + 1, entry.hash, entry.created_at
    return count, prev_hash, None


def _check_entry(entry, expected, prev_hash, prev_time, head_length):
    def problem(reason, detail):
        return ChainProblem(sequence=entry.sequence, entry_id=str(entry.pk), reason=reason, detail=detail)

    if entry.sequence > head_length:
        return problem(OUT_OF_ORDER, f"beyond the chain head, which ends at sequence {head_length}")
    if entry.sequence != expected:
        return problem(MISSING_SEQUENCE, f"expected sequence {expected} before it")
    if entry.prev_hash != prev_hash:
        return problem(BROKEN_LINK, "prev_hash is not the hash of the entry before it")
    if entry_hash(entry) != entry.hash:
        return problem(HASH_MISMATCH, "its fields do not hash to its stored hash")
    if prev_time is not None and entry.created_at < prev_time:
        return problem(OUT_OF_ORDER, "recorded earlier than the entry before it")
    return None


def _check_end(count, head_length, head_hash, last_hash):
    if count < head_length:
        return ChainProblem(
            sequence=count + 1,
            entry_id=None,
            reason=MISSING_SEQUENCE,
            detail=f"the chain ends at sequence {count} but its head says {head_length}",
        )
    if last_hash != head_hash:
        return ChainProblem(
            sequence=count,
            entry_id=None,
            reason=HEAD_MISMATCH,
            detail="the last entry's hash is not the one the chain head recorded",
        )
    return None
