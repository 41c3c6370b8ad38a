"""The language an invoice's or credit note's documents (PDF, email) are written in: defined
in ``billing.language``, where billing also names the lines it writes itself (billing does not
import documents)."""

from billing.language import document_language, supported_language

__all__ = ["document_language", "supported_language"]
