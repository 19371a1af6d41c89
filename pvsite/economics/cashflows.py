"""Annual cash flows of many roofs at once: energy, NPV, IRR, LCOE, simple payback.

Every function takes arrays shaped (R,) per roof or (R, N) per roof and year
(years 1 … N in columns 0 … N−1; a flow matrix with the year-0 investment has
N + 1 columns).  Conventions, the same as ``numpy_financial`` and NREL SAM:

* flows fall at the END of each year; the investment at year 0, undiscounted;
* all money is in real terms (constant prices of the preset's year) and the
  discount rate is a real rate;
* LCOE = Σ discounted costs / Σ discounted energy, costs = investment (year 0)
  + O&M + replacements, energy = degraded AC kWh, both discounted at the same
  rate (the "real LCOE" of SAM and of IEA/NEA *Projected Costs*); rewards and
  revenues do not enter it.
"""

from __future__ import annotations

import numpy as np

#: Bracket of the IRR search [fraction/yr]: −99 % … +1000 %.
IRR_BRACKET = (-0.99, 10.0)
#: Bisection steps: the bracket shrinks 2⁻ⁿ, far below 0.01 percentage points.
IRR_STEPS = 80


def degraded_energy(first_year_kwh, years: int, first_year_pct: float, annual_pct: float) -> np.ndarray:
    """AC energy of each year of the life [kWh], (R, years).

    Year 1 loses ``first_year_pct``; every later year another ``annual_pct``
    of the previous year's output: ``E_t = E × (1 − d₁) × (1 − d)^(t−1)``.

    Parameters
    ----------
    first_year_kwh : array_like (R,)
        Simulated annual energy of new modules [kWh].
    years : int
        Life [yr].
    first_year_pct, annual_pct : float
        Degradation [%].
    """
    e = np.asarray(first_year_kwh, dtype=float)[:, None]
    t = np.arange(years, dtype=float)[None, :]
    return e * (1.0 - first_year_pct / 100.0) * (1.0 - annual_pct / 100.0) ** t


def discount_factors(rate: float, years: int) -> np.ndarray:
    """(1 + r)^−t for t = 0 … years, (years + 1,)."""
    return (1.0 + rate) ** -np.arange(years + 1, dtype=float)


def npv(rate: float, flows) -> np.ndarray:
    """Net present value of each row of ``flows`` (R, N+1), year 0 first [元]; as ``numpy_financial.npv``."""
    flows = np.asarray(flows, dtype=float)
    return _row_dot(flows, discount_factors(rate, flows.shape[1] - 1))


def _row_dot(matrix: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """``matrix @ weights`` as a sum along each row, so a row's value never depends on the other rows.

    (A BLAS matrix–vector product sums a row in an order that depends on how many rows there are, so
    ``@`` would make a roof's figures depend on the block it is appraised in; :data:`pvsite.economics.BLOCK_ROOFS`.)
    """
    return (matrix * weights).sum(axis=-1)


def irr(flows, bracket: tuple[float, float] = IRR_BRACKET, steps: int = IRR_STEPS) -> np.ndarray:
    """Internal rate of return of each row of ``flows`` (R, N+1) [fraction/yr], NaN where undefined.

    Bisection on all rows at once.  The NPV of a project that pays once and
    then earns is falling in the rate, so a sign change across ``bracket``
    brackets one root; rows without a sign change (never paying back, or
    never costing) get NaN.  Agrees with ``numpy_financial.irr`` where that
    has a single real root in the bracket.
    """
    flows = np.asarray(flows, dtype=float)
    t = np.arange(flows.shape[1], dtype=float)

    def f(rows, r):
        return (rows * (1.0 + r[:, None]) ** -t).sum(axis=1)

    lo = np.full(len(flows), bracket[0])
    hi = np.full(len(flows), bracket[1])
    f_lo, f_hi = f(flows, lo), f(flows, hi)
    ok = np.isfinite(f_lo) & np.isfinite(f_hi) & (np.sign(f_lo) != np.sign(f_hi)) & (f_lo != 0)
    out = np.full(len(flows), np.nan)
    # only the bracketed rows are bisected (a roof without PV, or never paying back, costs nothing here);
    # each row's sum is along its own row, so its root does not depend on which other rows are searched
    rows, lo, hi, f_lo = flows[ok], lo[ok], hi[ok], f_lo[ok]
    for _ in range(steps):
        mid = 0.5 * (lo + hi)
        f_mid = f(rows, mid)
        same = np.sign(f_mid) == np.sign(f_lo)
        lo, f_lo = np.where(same, mid, lo), np.where(same, f_mid, f_lo)
        hi = np.where(same, hi, mid)
    out[ok] = 0.5 * (lo + hi)
    return out


def lcoe(investment, annual_costs, energy_kwh, rate: float) -> np.ndarray:
    """Levelised cost of energy [元/kWh] of each roof, NaN without energy.

    Parameters
    ----------
    investment : array_like (R,)
        Year-0 cost [元].
    annual_costs : array_like (R, N)
        O&M and replacements of years 1 … N [元].
    energy_kwh : array_like (R, N)
        Energy of years 1 … N [kWh].
    rate : float
        Real discount rate [fraction/yr].
    """
    costs, energy = np.asarray(annual_costs, dtype=float), np.asarray(energy_kwh, dtype=float)
    d = discount_factors(rate, costs.shape[1])[1:]
    disc_e = _row_dot(energy, d)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(disc_e > 0, (np.asarray(investment, dtype=float) + _row_dot(costs, d)) / disc_e, np.nan)


def simple_payback(investment, first_year_net, lifetime_yr: int) -> tuple[np.ndarray, np.ndarray]:
    """Simple payback [yr] = investment / net first-year benefit, and why it is empty.

    Returns
    -------
    payback : ndarray (R,)
        NaN where the net benefit is ≤ 0 or the payback exceeds the life (no
        infinite or negative figures).
    note : ndarray of str (R,)
        "" where a payback is given, else the reason in Chinese and English.
    """
    inv = np.asarray(investment, dtype=float)
    net = np.asarray(first_year_net, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        pb = np.where(net > 0, inv / net, np.nan)
    never = ~(net > 0)
    too_long = ~never & (pb > lifetime_yr)
    note = np.where(never, "年净收益≤0, 不回收 never pays back (net first-year benefit ≤ 0)",
                    np.where(too_long, f"寿命期({lifetime_yr}年)内不回收 does not pay back within the "
                                       f"{lifetime_yr}-year lifetime", ""))
    return np.where(never | too_long, np.nan, pb), note
