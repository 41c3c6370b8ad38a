"""Signals billing exposes to the apps above it (billing never imports documents)."""

import django.dispatch

# Sent after commit whenever an invoice's printed content changed (and on create), with
# kwargs ``organization``, ``invoice_id``, ``version`` and ``status`` (the invoice's status
# at that version). The documents app connects a receiver in its AppConfig.ready to mark
# older documents stale and render a fresh one.
invoice_version_changed = django.dispatch.Signal()

# Sent after commit when a credit note is issued (final from then on: its printed content never
# changes again), with kwargs ``organization``, ``credit_note_id`` and ``version``. The
# documents app renders and stores its PDF and e-invoices.
credit_note_issued = django.dispatch.Signal()
