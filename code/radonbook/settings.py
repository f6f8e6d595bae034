"""Sampler settings: one checked, frozen record of what decides a fit's draws.

:class:`SamplerSettings` holds chains, warmup, draws, seed and the NUTS target
acceptance probability.  It is the one way to give a fit its settings: every
fitting function takes one as ``settings=`` (:func:`radonbook.fit`,
:func:`radonbook.inference.fit_batch`, :func:`radonbook.crossval.held_out_schemes`,
:func:`radonbook.pooling.fit_dial`), and its :meth:`~SamplerSettings.as_dict` is
what enters the fit cache key.  To change one field, change the preset:
``settings=SamplerSettings.book("pooled").replace(draws=2000)``.  The presets:
:meth:`SamplerSettings.book` (a model's own fit in the book), :data:`REFITS`
(held-out refits), :data:`DIAL` (the pooling dial) and :meth:`SamplerSettings.quick`
(a short fit: for tests, and the default of :func:`~radonbook.inference.fit_batch`).
"""

from __future__ import annotations

import dataclasses
import numbers
from dataclasses import dataclass
from typing import Any

from .models import get_model

__all__ = ["DIAL", "REFITS", "SamplerSettings"]


@dataclass(frozen=True)
class SamplerSettings:
    """The settings of a NUTS fit, checked when made.

    Attributes
    ----------
    chains : int
        Number of chains, >= 1.
    warmup : int
        Adaptation iterations per chain, >= 1.
    draws : int
        Kept draws per chain, >= 1.
    seed : int
        Seed of the PRNG key, >= 0; the same seed gives the same draws.
    target_accept : float
        NUTS target acceptance probability during adaptation, in (0, 1);
        larger values take smaller steps.

    Bad values raise ``ValueError`` naming the field and the value.

    Examples
    --------
    >>> SamplerSettings(chains=2, draws=500)
    SamplerSettings(chains=2, warmup=1000, draws=500, seed=0, target_accept=0.8)
    >>> SamplerSettings.book("hierarchical").draws
    1500
    >>> REFITS.replace(draws=2000, seed=None).draws  # None keeps a field
    2000
    >>> SamplerSettings(draws=0)
    Traceback (most recent call last):
    ...
    ValueError: draws must be an integer >= 1, got 0
    """

    chains: int = 4
    warmup: int = 1000
    draws: int = 1000
    seed: int = 0
    target_accept: float = 0.8

    def __post_init__(self) -> None:
        for name, least in (("chains", 1), ("warmup", 1), ("draws", 1), ("seed", 0)):
            value = getattr(self, name)
            if not _is_integer(value) or value < least:
                raise ValueError(f"{name} must be an integer >= {least}, got {value!r}")
            object.__setattr__(self, name, int(value))
        value = self.target_accept
        if not _is_real(value) or not 0 < value < 1:
            raise ValueError(f"target_accept must be a number in (0, 1), got {value!r}")
        object.__setattr__(self, "target_accept", float(value))

    @classmethod
    def book(cls, model: str) -> SamplerSettings:
        """The book's fit of ``model``: 4 chains, 1000 warmup, seed 0, and the model's own
        :attr:`~radonbook.models.ModelSpec.draws` and
        :attr:`~radonbook.models.ModelSpec.target_accept`."""
        spec = get_model(model)
        return cls(draws=spec.draws, target_accept=spec.target_accept)

    @classmethod
    def quick(cls, model: str) -> SamplerSettings:
        """A short fit of ``model``: 2 chains x 500 draws after 500 warmup, seed 0, and the
        model's own :attr:`~radonbook.models.ModelSpec.target_accept`.  Too short for the
        book's convergence rule in most models: for tests, and the default of
        :func:`radonbook.inference.fit_batch`."""
        spec = get_model(model)
        return cls(chains=2, warmup=500, draws=500, target_accept=spec.target_accept)

    def replace(self, **changes: Any) -> SamplerSettings:
        """A copy with the given fields changed (checked again); a None value keeps a field."""
        return dataclasses.replace(self, **{k: v for k, v in changes.items() if v is not None})

    def as_dict(self) -> dict[str, Any]:
        """The settings as the fit cache key and the cached entry record them."""
        return dataclasses.asdict(self)


def _is_integer(value: object) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _is_real(value: object) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


REFITS = SamplerSettings(target_accept=0.9)
"""Held-out refits (:func:`radonbook.crossval.held_out_schemes`): 4 chains x 1000 draws after
1000 warmup.  Target acceptance above NumPyro's 0.8, so steps are smaller: a batch of
ten hierarchical refits at 0.8 diverged now and then."""

DIAL = SamplerSettings()
"""The pooling dial (:func:`radonbook.pooling.fit_dial`): 4 chains x 1000 draws after 1000
warmup, target acceptance 0.8; they meet the book's convergence rule on the dial
chapter's grid."""
