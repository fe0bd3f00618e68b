"""The Z3 context each encoding builds its terms in.

Every Encoder has a context of its own, never z3's global default one, and the library keeps
each context to one thread (api.Checker builds its Z3 tools per thread). One thing crosses
threads anyway: Python's cycle collector runs in whichever thread happens to trigger it, and
releases the Z3 terms caught in reference cycles there (a recursive inner function that holds
terms is enough). Releasing a term is a write into its context, which must not race with the
thread working in that context; with concurrent release enabled, Z3 queues a release under a
lock and applies it on the context's next call in its own thread.
"""

from __future__ import annotations

import z3


def new_context() -> z3.Context:
    ctx = z3.Context()
    z3.Z3_enable_concurrent_dec_ref(ctx.ref())
    return ctx
