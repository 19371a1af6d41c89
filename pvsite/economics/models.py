"""Business models: who pays, who earns, year by year (arrays roofs × years).

``self`` — 自发自用、余电上网, owner-financed: the owner pays the system and
O&M, saves its tariff on the self-consumed energy, sells the surplus at the
feed-in price and receives the Shanghai reward.

``full-export`` — 全额上网: all energy sold at the feed-in price, plus the
reward (on all of it: the exported energy is the generation).

``emc`` — 合同能源管理: an investor pays the system, O&M and any roof rent; it
sells the self-consumed energy to the host at ``(1 − discount) × tariff`` and
keeps the feed-in revenue and the reward (沪发改能源〔2024〕279号).  The host
saves ``discount × tariff`` on that energy and receives the rent.  After
``contract_years`` the system passes to the host, who then carries the O&M
and keeps all savings.

The money figures of a roof (``npv_yuan``, ``irr_pct``, payback) are those of
the party that invests: the owner (self, full-export) or the investor (emc).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MODELS = ("self", "full-export", "emc")


@dataclass
class Flows:
    """Cash flows of the investing party and of the EMC host, (R, N) each, years 1 … N [元]."""

    investor: np.ndarray
    host: np.ndarray


def yearly_flows(model, energy_kwh, self_share, tariff, feed_in, subsidy_rate, subsidy_on_generation,
                 subsidy_fraction, om_yuan, replacement_yuan, emc_discount, emc_years, rent_yuan) -> Flows:
    """Net flows of years 1 … N for each roof under its business model.

    Parameters
    ----------
    model : array_like of str (R,)
        ``self``, ``full-export`` or ``emc`` per roof.
    energy_kwh : ndarray (R, N)
        Degraded AC energy [kWh].
    self_share : array_like (R,)
        Share used on site [0–1] (ignored for full-export).
    tariff : array_like (R,)
        Host's grid price over PV hours [元/kWh].
    feed_in : float
        Price of exported energy [元/kWh].
    subsidy_rate : array_like (R,)
        Reward [元/kWh].
    subsidy_on_generation : array_like of bool (R,)
        Reward paid on generation (else on exported energy).
    subsidy_fraction : ndarray (R, N)
        Share of each year's energy still rewarded (year and hour caps) [0–1].
    om_yuan : array_like (R,)
        O&M per year [元].
    replacement_yuan : ndarray (R, N)
        Inverter replacement in its year [元].
    emc_discount : float
        Host's discount on the tariff [0–1].
    emc_years : int
        Contract length [yr].
    rent_yuan : array_like (R,)
        Roof rent per year [元].
    """
    model = np.asarray(model)
    e = np.asarray(energy_kwh, dtype=float)
    n_years = e.shape[1]
    col = lambda a: np.asarray(a, dtype=float)[:, None]  # noqa: E731
    share = np.where(model == "full-export", 0.0, np.asarray(self_share, dtype=float))[:, None]
    own, export = e * share, e * (1.0 - share)
    base = np.where(np.asarray(subsidy_on_generation, dtype=bool)[:, None], e, export)
    subsidy = base * subsidy_fraction * col(subsidy_rate)
    costs = col(om_yuan) + replacement_yuan
    owner = own * col(tariff) + export * feed_in + subsidy - costs
    in_contract = (np.arange(1, n_years + 1) <= emc_years)[None, :]
    investor_emc = np.where(in_contract, own * col(tariff) * (1.0 - emc_discount) + export * feed_in + subsidy
                            - costs - col(rent_yuan), 0.0)
    host_emc = np.where(in_contract, own * col(tariff) * emc_discount + col(rent_yuan), owner)
    is_emc = (model == "emc")[:, None]
    return Flows(investor=np.where(is_emc, investor_emc, owner), host=np.where(is_emc, host_emc, 0.0))


def subsidy_fraction(energy_kwh, capacity_kw, cap_hours: float, cap_years: int) -> np.ndarray:
    """Share of each year's energy that is still rewarded [0–1], (R, N).

    The reward ends after ``cap_years`` or when cumulative generation reaches
    ``cap_hours`` full-load hours (``cap_hours × kW``), whichever comes first;
    the year that crosses the hour cap is rewarded for the part below it.
    """
    e = np.asarray(energy_kwh, dtype=float)
    cap = np.asarray(capacity_kw, dtype=float)[:, None] * cap_hours
    before = np.cumsum(e, axis=1) - e
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = np.where(e > 0, np.clip((cap - before) / e, 0.0, 1.0), 0.0)
    return frac * (np.arange(1, e.shape[1] + 1) <= cap_years)[None, :]
