"""radonbook: the models, inference, checks and figures of the radon book.

Import this package before anything else that starts JAX: it asks XLA for
one CPU device per chain (see :mod:`radonbook._jax`).
"""

import warnings

# ArviZ 0.x announces its 1.0 refactor on import; it says nothing about our use.
warnings.filterwarnings("ignore", message="\nArviZ is undergoing", category=FutureWarning)

from . import _jax  # noqa: F401  (must run before JAX starts)
from .cache import FitCache, fit_key
from .checks import RMSD, rmsd
from .data import DataValidationError, RadonData, from_arrays, load_radon
from .diagnostics import (
    ConvergenceError,
    check_convergence,
    convergence_summary,
    convergence_table,
    divergences,
    divergences_by_county,
)
from .inference import fit, model_inputs
from .models import (
    MODELS,
    centered,
    correlated,
    get_model,
    hierarchical,
    pooled,
    separate,
    uranium,
    varying_intercept,
    weakly_informative,
)

__version__ = "0.1.0"

__all__ = [
    "MODELS",
    "RMSD",
    "ConvergenceError",
    "DataValidationError",
    "FitCache",
    "RadonData",
    "centered",
    "check_convergence",
    "convergence_summary",
    "convergence_table",
    "correlated",
    "divergences",
    "divergences_by_county",
    "fit",
    "fit_key",
    "from_arrays",
    "get_model",
    "hierarchical",
    "load_radon",
    "model_inputs",
    "pooled",
    "rmsd",
    "separate",
    "uranium",
    "varying_intercept",
    "weakly_informative",
]
