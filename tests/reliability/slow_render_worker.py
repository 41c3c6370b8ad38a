"""``python tests/reliability/slow_render_worker.py -A billora worker ...``: a real Celery worker
whose PDF renders hold still while the file named by ``BILLORA_TEST_RENDER_GATE`` exists.

The test uses it to kill a worker child *mid-render*, deterministically: the child writes its
pid to ``<gate>.started`` when a render begins, then waits at the gate; the test SIGKILLs it,
removes the gate, and the redelivered task renders normally. Nothing here runs in production.
"""

import os
import sys
import time

from celery.signals import worker_process_init

GATE_TIMEOUT_SECONDS = 120


def _install_gate():
    gate = os.environ.get("BILLORA_TEST_RENDER_GATE")
    if not gate:
        return
    import documents.pipeline

    original = documents.pipeline.render_invoice_pdf

    def gated_render(*args, **kwargs):
        with open(f"{gate}.started", "a") as started:
            started.write(f"{os.getpid()}\n")
        deadline = time.monotonic() + GATE_TIMEOUT_SECONDS
        while os.path.exists(gate) and time.monotonic() < deadline:
            time.sleep(0.05)
        return original(*args, **kwargs)

    documents.pipeline.render_invoice_pdf = gated_render


@worker_process_init.connect
def _on_child_start(**_kwargs):
    _install_gate()


if __name__ == "__main__":
    from celery.__main__ import main

    sys.argv[0] = "celery"
    sys.exit(main())
