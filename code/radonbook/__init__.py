"""radonbook: the models, inference, checks and figures of the radon book.

Import this package before anything else that starts JAX: it asks XLA for
one CPU device per chain (see :mod:`radonbook._jax`).
"""

import sys as _sys
import time as _time

_import_start = _time.perf_counter()

import warnings

# ArviZ 0.x announces its 1.0 refactor on import; it says nothing about our use.
warnings.filterwarnings("ignore", message="\nArviZ is undergoing", category=FutureWarning)
# In Jupyter without ipywidgets, importing tqdm.auto (NumPyro does) asks for IProgress; the
# book draws no progress bars, and the warning would print in every chapter's set-up cell.
warnings.filterwarnings("ignore", message="IProgress not found")

from . import _jax, _timings  # noqa: F401  (_jax must run before JAX starts)

_timings.listen_to_compilation()
from .baseline import failing_counties, least_squares, separate_posterior
from .cache import FitCache, fit_key
from .checks import PPC, RMSD, ppc_statistic, rmsd
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
    censored,
    centered,
    contextual,
    correlated,
    get_model,
    hierarchical,
    pooled,
    separate,
    separate_shared_noise,
    uranium,
    uranium_slope,
    varying_intercept,
    weakly_informative,
)
from .reml import (
    RemlConvergenceError,
    RemlFit,
    compare_with_posterior,
    county_effects_given_scales,
    reml_fit,
)
from .settings import SamplerSettings
from .summary import county_intervals, explained_share, posterior_interval, posterior_means

__version__ = "0.1.0"

_import_seconds = _time.perf_counter() - _import_start
_timings.record(
    "import",
    _import_seconds,
    since_start=_timings.process_age() - _import_seconds,
    kernel="ipykernel" in _sys.modules,
)

__all__ = [
    "MODELS",
    "PPC",
    "RMSD",
    "ConvergenceError",
    "DataValidationError",
    "FitCache",
    "RadonData",
    "RemlConvergenceError",
    "RemlFit",
    "SamplerSettings",
    "censored",
    "centered",
    "check_convergence",
    "compare_with_posterior",
    "contextual",
    "convergence_summary",
    "convergence_table",
    "correlated",
    "county_effects_given_scales",
    "county_intervals",
    "divergences",
    "divergences_by_county",
    "explained_share",
    "failing_counties",
    "fit",
    "fit_key",
    "from_arrays",
    "get_model",
    "hierarchical",
    "least_squares",
    "load_radon",
    "model_inputs",
    "pooled",
    "posterior_interval",
    "posterior_means",
    "ppc_statistic",
    "reml_fit",
    "rmsd",
    "separate",
    "separate_posterior",
    "separate_shared_noise",
    "uranium",
    "uranium_slope",
    "varying_intercept",
    "weakly_informative",
]
