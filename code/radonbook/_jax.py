"""Start JAX the way the book needs it; imported first by ``radonbook``.

JAX reads the number of CPU devices once, when its backend starts, so this
must run before anything creates an array.  Four host devices let NumPyro run
four chains in parallel (``chain_method="parallel"``); XLA spreads them over
the machine's cores.  If JAX has already started (the caller imported it and
computed something first), the existing device count is used and chains that
do not fit run one after another.
"""

from __future__ import annotations

import os

import numpyro

HOST_DEVICES = 4
"""CPU devices to ask XLA for: one per chain of the book's default 4 chains."""

if "xla_force_host_platform_device_count" not in os.environ.get("XLA_FLAGS", ""):
    numpyro.set_host_device_count(HOST_DEVICES)
numpyro.set_platform("cpu")
