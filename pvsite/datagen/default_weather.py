"""The offline default weather: a synthetic Shanghai typical year.

pvsite ships no third-party hourly weather.  Its default year
(``irradiance/shanghai_default_year.csv``) is **synthetic**: built by pvsite
from published *monthly statistics* of a real typical year plus pvlib models,
so that monthly and annual irradiation, temperature and wind match the real
year, with seeded day-to-day variability (clear and overcast days) drawn
from a published distribution of daily clearness.

Source of the monthly figures (:data:`SHANGHAI_CSWD_58362`)
------------------------------------------------------------
China Standard Weather Data (CSWD) typical year for station 58362,
Shanghai Baoshan (31.40 N, 121.45 E, 6 m; EPW LOCATION line and .stat
header), China Meteorological Bureau Climate Information Center and Tsinghua
University (2010), as distributed by the EnergyPlus weather site.  The
figures are copied from that year's EnergyPlus statistics report
``CHN_Shanghai.Shanghai.583620_CSWD.stat`` (EnergyPlus Weather Converter
V7.1.0.010; ISO-8859-1 text), sections

* "Monthly Statistics for Solar Radiation (Direct Normal, Diffuse, Global
  Horizontal) Wh/m²" — rows *Global Avg*, *Diffuse Avg*, *Direct Avg*
  (monthly means of daily irradiation, Wh/m²/day);
* "Monthly Statistics for Dry Bulb temperatures °C" — row *Daily Avg*;
* "Average Hourly Statistics for Dry Bulb temperatures °C" — the mean
  diurnal profile of each month (24 × 12 table);
* "Monthly Statistics for Wind Speed m/s" — row *Daily Avg*;
* "Average Hourly Statistics for Wind Speed m/s" — mean diurnal profile;
* "Monthly Drybulb and Wetbulb Daily Ranges" — row *Drybulb* (ASHRAE 2009
  mean daily range; used only when no hourly profile is given).

These are statistics (facts), not the hourly EPW, which stays out of the
repository.  :func:`monthly_stats_from_stat_file` reads the same fields from
any EnergyPlus ``.stat`` file, and :func:`monthly_stats_from_weather` from
any hourly frame, so the method can be applied (and tested) anywhere.

Method (:func:`synthesise_year`)
--------------------------------
1. **Clear sky.**  pvlib Ineichen–Perez clear-sky model with the Linke
   turbidity climatology shipped with pvlib (Remund et al. 2003), evaluated
   every 10 minutes and averaged to hourly means, so sunrise/sunset hours get
   their partial-hour share.
2. **GHI, day by day.**  Each day gets a daily clearness index K_T (daily
   GHI / extraterrestrial horizontal irradiation) drawn from the generalised
   Liu & Jordan (1960) distribution as fitted by Bendt, Collares-Pereira &
   Rabl (1981) for the month's mean clearness K̄_T (the .stat GHI over the
   extraterrestrial irradiation of the month), see
   :func:`bendt_kt_quantile`.  The draw is stratified (one value per
   1/n-quantile band of the month's n days, a uniform position inside the
   band) and the days are put in random order, both with
   ``numpy.random.default_rng(seed)`` (:data:`VARIABILITY_SEED`), so the
   year is reproducible byte-for-byte.  The day's hourly GHI is the day's
   clear-sky GHI times c_d = K_T·H0/H_cs, capped at 1 (no day brighter than
   the clear-sky model), and the c_d of each month are rescaled together
   (the capped ones stay at 1) so the month's mean daily GHI equals the
   statistic exactly.  Days are independent: no persistence of cloudy
   spells is modelled (the .stat gives none).  ``variability=False`` gives
   the earlier *average-day* year (one scale factor per month).
3. **DHI.**  The Erbs et al. (1982) diffuse fraction of each hour (from the
   hour's own clearness, so clear days get a low and overcast days a high
   diffuse fraction) is scaled by one factor per month (solved by
   bisection, capped at 1) so the month's mean daily DHI equals the
   statistic; Erbs keeps the realistic rise of the diffuse fraction at low
   sun.  No hour's diffuse is set below GHI − clear-sky DNI·cos Z (the beam
   cap of step 4), so the monthly DHI stays exact after that cap.
4. **DNI.**  First by closure, ``(GHI − DHI) / cos Z`` with ``Z`` the
   apparent solar zenith at the middle of the hour.  Near the horizon
   (``Z > 87°`` at mid-hour, where cos Z → 0 makes the ratio blow up) the
   hour is all diffuse (DNI = 0, DHI = GHI), and DNI never exceeds the
   hour's clear-sky DNI (any excess goes to DHI).  Then (default
   ``dni='statistic'``) each month's DNI is scaled to the month's cited mean
   daily DNI.  The CSWD statistics are not closure-consistent: in the hourly
   CSWD files, Σ DNI·cos Z is 0.91 (Shanghai) and 0.85 (Hangzhou) of
   Σ (GHI − DHI), whatever time shift is tried, and the cited monthly DNI is
   7–20 % below the closure value of this method.  Honouring all three cited
   figures keeps the synthetic year consistent with the source it stands
   in for (a pvlib model sees the same beam as with the real file), at the
   price the source also pays: hourly DHI + DNI·cos Z falls short of GHI
   (never exceeds it).  ``dni='closure'`` gives an exactly closure-consistent
   year instead; its plane-of-array irradiation on south-facing planes is
   5–8 % (Shanghai) and 10–13 % (Hangzhou) higher than the real CSWD file gives.
5. **Air temperature.**  The monthly mean is spread into smooth daily means
   by mean-preserving piecewise-linear interpolation between mid-month
   anchors (so months meet without steps and each monthly mean is exact),
   plus the month's mean diurnal anomaly (hourly profile minus its mean).
   Without a profile a cosine of the mean daily range, peaking 15:00–16:00,
   is used.  With day-to-day variability the diurnal anomaly of each day
   is multiplied by K_T,d² / mean(K_T²) over the month: the daily
   temperature range grows with the square of the daily clearness, the
   Hargreaves & Samani (1982) relation R_s = k_Rs·√(T_max − T_min)·R_a
   (FAO-56, Allen et al. 1998, eq. 50) solved for the range.  Clear days are
   warmer by day and cooler at night, overcast days nearly flat; the factor
   averages 1 over each month, so the monthly mean diurnal profile and every
   daily mean are unchanged (the anomaly has zero daily mean).  No daily
   mean temperature anomaly is added: the .stat gives no statistic for it.
6. **Wind.**  The month's mean diurnal profile scaled to the monthly mean
   (or the constant monthly mean without a profile).

Why day-to-day variability: transposition is close to linear in the beam
and diffuse components, which are matched month by month, so irradiation on
the planes changes little (POA on the pvsite test planes within −0.1 … +1.5 %
of the real Shanghai year, shifted −30 min).  Module temperature is not
linear: an average-day year has no hot, clear days, so its modules ran
cooler and its yields were 2–3.5 % high (pitched E/W pair +3.3 %); with
variability the performance-ratio excess falls to about 1 % and every
tested roof is within 3 % (``tests/solar/test_validation.py``).
East- and west-facing planes differ more from the real files (single
pitched planes: Shanghai east +7 %, west −2 % as labelled; Hangzhou east
+16 %, west −10 %), because the real CSWD files hold more irradiance in the afternoon
than the sun allows: their GHI-weighted mean time is 28 min (Shanghai) and
63 min (Hangzhou) after solar noon, against ~0 for clear sky and for pvlib's
bundled TMY3 files, which points to shifted time labels in the CSWD data
(pvsite keeps them by default; ``read_weather(..., time_shift_min=...)``
with :data:`pvsite.io.weather_checks.CSWD_TIME_SHIFT_MIN` is the opt-in correction).
The synthetic year follows the sun.  Annual yields of the synthetic year
against the real ones (pvsite engine): ``tests/solar/test_validation.py`` and
``irradiance/README.md``.

What the synthetic year cannot do: reproduce hourly extremes, inverter
clipping, cloudy streaks or anything that depends on the sequence of days
(the daily values are drawn independently; within a day the sky is a scaled
clear sky, with no intermittent cloud); use it for annual and monthly
yields, not for hourly studies.

References
----------
Liu, B.Y.H. & Jordan, R.C. (1960). The interrelationship and characteristic
distribution of direct, diffuse and total solar radiation. *Solar Energy*
4(3), 1–19.

Bendt, P., Collares-Pereira, M. & Rabl, A. (1981). The frequency
distribution of daily insolation values. *Solar Energy* 27(1), 1–5.

Duffie, J.A. & Beckman, W.A. (2013). *Solar Engineering of Thermal
Processes*, 4th ed., Wiley, ch. 2 (reproduces the Bendt et al.
distribution).

Erbs, D.G., Klein, S.A. & Duffie, J.A. (1982). Estimation of the diffuse
radiation fraction for hourly, daily and monthly-average global radiation.
*Solar Energy* 28(4), 293–302.

Hargreaves, G.H. & Samani, Z.A. (1982). Estimating potential
evapotranspiration. *J. Irrigation and Drainage Div., ASCE* 108(IR3),
225–230.

Allen, R.G., Pereira, L.S., Raes, D. & Smith, M. (1998). *Crop
evapotranspiration*, FAO Irrigation and Drainage Paper 56, eq. 50.

Running ``python -m pvsite.datagen.default_weather`` regenerates the CSV
byte-for-byte.
"""

from __future__ import annotations

import argparse
import logging
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from pvsite import resources as paths
from pvsite.errors import InputError
from pvsite.io.weather import CANONICAL_TZ, TYPICAL_YEAR, read_weather, write_weather_csv

logger = logging.getLogger(__name__)

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_SUBSTEPS = 6  # clear-sky samples per hour (every 10 min)
#: Above this apparent zenith at mid-hour the hour is treated as all diffuse [°]
#: (cos 87° = 0.052; closure DNI = beam/cos Z is ill-conditioned beyond it).
LOW_SUN_ZENITH_DEG = 87.0
#: Seed of the day-to-day variability (pvsite choice, arbitrary: the CSWD
#: station number); changing it changes the order and exact values of the
#: daily clearness, not the monthly totals.
VARIABILITY_SEED = 58362


@dataclass(frozen=True)
class MonthlyStats:
    """Monthly climate statistics from which a typical year is synthesised.

    All sequences run January…December.

    Attributes
    ----------
    ghi_wh_m2_day : tuple of 12 float
        Mean daily global horizontal irradiation [Wh/m²/day].
    dhi_wh_m2_day : tuple of 12 float
        Mean daily diffuse horizontal irradiation [Wh/m²/day].
    temp_air_c : tuple of 12 float
        Mean air temperature (mean of daily means) [°C].
    wind_speed_m_s : tuple of 12 float
        Mean wind speed [m/s].
    dni_wh_m2_day : tuple of 12 float or None
        Mean daily direct normal irradiation [Wh/m²/day]; reported against,
        not imposed.
    temp_air_hourly_c : tuple of 24 tuples of 12 float, or None
        Mean air temperature of each hour of the day (row h = interval
        h:00–h+1:00 local standard time) per month [°C].
    wind_speed_hourly_m_s : tuple of 24 tuples of 12 float, or None
        Mean wind speed of each hour of the day per month [m/s].
    temp_air_range_c : tuple of 12 float or None
        Mean daily temperature range [°C]; used when no hourly profile.
    source : str
        Where the figures come from (citation).
    """

    ghi_wh_m2_day: tuple
    dhi_wh_m2_day: tuple
    temp_air_c: tuple
    wind_speed_m_s: tuple
    dni_wh_m2_day: tuple | None = None
    temp_air_hourly_c: tuple | None = None
    wind_speed_hourly_m_s: tuple | None = None
    temp_air_range_c: tuple | None = None
    source: str = field(default="", compare=False)

    def __post_init__(self):
        for name in ("ghi_wh_m2_day", "dhi_wh_m2_day", "temp_air_c", "wind_speed_m_s",
                     "dni_wh_m2_day", "temp_air_range_c"):
            value = getattr(self, name)
            if value is not None and len(value) != 12:
                raise ValueError(f"MonthlyStats.{name} needs 12 monthly values, got {len(value)}")
        for name in ("temp_air_hourly_c", "wind_speed_hourly_m_s"):
            value = getattr(self, name)
            if value is not None and np.shape(value) != (24, 12):
                raise ValueError(f"MonthlyStats.{name} needs 24 rows × 12 months, "
                                 f"got shape {np.shape(value)}")
        ghi, dhi = np.asarray(self.ghi_wh_m2_day), np.asarray(self.dhi_wh_m2_day)
        if (ghi <= 0).any() or (dhi < 0).any() or (dhi > ghi).any():
            raise ValueError("MonthlyStats: need 0 < GHI and 0 ≤ DHI ≤ GHI in every month "
                             f"(GHI {ghi.tolist()}, DHI {dhi.tolist()})")


# ---------------------------------------------------------------------------
# The cited Shanghai figures
# ---------------------------------------------------------------------------

#: Source of :data:`SHANGHAI_CSWD_58362` (see module docstring).
SHANGHAI_CSWD_CITATION = (
    "CSWD (China Standard Weather Data, China Meteorological Bureau Climate Information "
    "Center & Tsinghua University, 2010) typical year for station 58362 Shanghai Baoshan, "
    "monthly statistics from the EnergyPlus report CHN_Shanghai.Shanghai.583620_CSWD.stat "
    "(EnergyPlus weather site)"
)

#: Station 58362 location: latitude/longitude from the EPW LOCATION line
#: (31.40 N, 121.45 E), elevation from the .stat header ("6m above sea level").
SHANGHAI_SITE = {
    "name": "Shanghai (CSWD station 58362 Baoshan), synthetic typical year",
    "latitude": 31.40,
    "longitude": 121.45,
    "altitude": 6.0,
}

# "Average Hourly Statistics for Dry Bulb temperatures °C" (rows 0:01-1:00 …
# 23:01-24:00, columns Jan…Dec), CHN_Shanghai.Shanghai.583620_CSWD.stat.
_SHANGHAI_TEMP_HOURLY_C = (
    (4.0, 5.3, 8.5, 14.1, 19.1, 23.0, 26.4, 26.2, 23.7, 17.7, 12.5, 6.8),
    (3.8, 5.2, 8.4, 13.8, 18.9, 22.9, 26.2, 26.0, 23.5, 17.6, 12.4, 6.6),
    (3.6, 5.1, 8.1, 13.4, 18.6, 22.7, 26.1, 25.9, 23.2, 17.5, 12.2, 6.3),
    (3.2, 4.9, 7.8, 13.0, 18.3, 22.5, 26.0, 25.7, 22.9, 17.2, 11.9, 5.9),
    (2.7, 4.7, 7.5, 12.6, 18.1, 22.3, 25.9, 25.6, 22.5, 16.9, 11.5, 5.4),
    (2.3, 4.5, 7.3, 12.5, 18.0, 22.5, 25.9, 25.5, 22.2, 16.7, 11.2, 4.9),
    (2.1, 4.4, 7.5, 12.8, 18.4, 22.9, 26.1, 25.8, 22.5, 16.6, 11.1, 4.7),
    (2.3, 4.7, 8.0, 13.5, 19.2, 23.4, 26.5, 26.3, 23.1, 17.1, 11.5, 4.9),
    (2.9, 5.3, 8.8, 14.4, 20.2, 24.1, 27.1, 26.8, 23.8, 18.2, 12.6, 5.5),
    (3.7, 5.9, 9.7, 15.3, 21.1, 24.7, 27.7, 27.3, 24.4, 19.2, 13.5, 6.4),
    (4.5, 6.6, 10.5, 16.1, 21.9, 25.3, 28.2, 27.7, 24.8, 20.1, 14.4, 7.3),
    (5.3, 7.2, 11.3, 16.8, 22.6, 25.8, 28.6, 28.1, 25.2, 20.7, 15.2, 8.3),
    (6.1, 7.8, 11.9, 17.3, 23.1, 26.2, 29.0, 28.4, 25.6, 21.2, 15.8, 9.2),
    (6.6, 8.3, 12.4, 17.7, 23.3, 26.4, 29.3, 28.6, 26.0, 21.4, 16.2, 9.9),
    (7.0, 8.7, 12.8, 18.1, 23.3, 26.5, 29.4, 28.7, 26.3, 21.6, 16.5, 10.5),
    (7.1, 8.9, 12.9, 18.2, 23.2, 26.4, 29.5, 28.6, 26.6, 21.6, 16.6, 10.7),
    (6.8, 8.7, 12.6, 17.9, 22.8, 26.1, 29.3, 28.3, 26.4, 21.2, 16.1, 10.3),
    (6.2, 8.1, 11.9, 17.2, 22.2, 25.6, 28.9, 27.8, 26.0, 20.5, 15.4, 9.6),
    (5.6, 7.4, 11.1, 16.5, 21.6, 25.0, 28.4, 27.4, 25.4, 19.7, 14.7, 8.8),
    (5.1, 6.6, 10.3, 15.8, 21.0, 24.5, 27.8, 27.0, 24.8, 18.9, 14.0, 8.0),
    (4.7, 6.1, 9.7, 15.3, 20.5, 24.1, 27.3, 26.7, 24.3, 18.3, 13.4, 7.5),
    (4.4, 5.8, 9.3, 15.0, 20.1, 23.8, 27.0, 26.5, 24.0, 18.0, 13.0, 7.1),
    (4.3, 5.7, 9.1, 14.7, 19.8, 23.6, 26.8, 26.3, 23.8, 17.7, 12.7, 6.9),
    (4.1, 5.5, 8.9, 14.5, 19.6, 23.4, 26.6, 26.2, 23.7, 17.6, 12.5, 6.8),
)

# "Average Hourly Statistics for Wind Speed m/s", same file and layout.  CSWD
# wind was observed four times a day, hence the 6-hour blocks.
_SHANGHAI_WIND_HOURLY_M_S = (
    (3.1, 3.4, 3.3, 3.4, 3.0, 3.3, 2.8, 3.4, 3.4, 3.5, 2.8, 2.8),
    (3.1, 3.4, 3.3, 3.4, 3.0, 3.3, 2.8, 3.4, 3.4, 3.5, 2.8, 2.8),
    *((3.1, 2.9, 3.0, 2.8, 2.8, 2.4, 3.0, 3.0, 3.2, 2.9, 2.3, 2.5),) * 6,
    *((2.9, 3.0, 3.5, 3.4, 2.9, 3.4, 3.0, 3.2, 3.4, 3.1, 2.3, 2.6),) * 6,
    *((3.4, 4.0, 4.5, 4.1, 4.1, 4.3, 4.0, 3.7, 4.3, 4.0, 3.5, 3.5),) * 6,
    *((3.2, 3.4, 3.3, 3.4, 3.0, 3.3, 2.8, 3.3, 3.5, 3.4, 2.8, 2.8),) * 4,
)

#: Monthly statistics of the CSWD Shanghai (58362) typical year; every figure
#: is copied from CHN_Shanghai.Shanghai.583620_CSWD.stat (see module docstring
#: for the sections).  Annual GHI = Σ days × Global Avg = 1271.3 kWh/m².
SHANGHAI_CSWD_58362 = MonthlyStats(
    # "Global Avg" [Wh/m²/day]
    ghi_wh_m2_day=(2025, 3064, 2873, 4040, 4709, 4347, 4372, 3802, 4247, 3366, 2493, 2457),
    # "Diffuse Avg" [Wh/m²/day]
    dhi_wh_m2_day=(1110, 1617, 1951, 2074, 1880, 1753, 1764, 1993, 1752, 1521, 1458, 1306),
    # Dry bulb "Daily Avg" [°C]
    temp_air_c=(4.5, 6.3, 9.9, 15.3, 20.6, 24.3, 27.5, 27.0, 24.4, 18.9, 13.6, 7.4),
    # Wind speed "Daily Avg" [m/s]
    wind_speed_m_s=(3.1, 3.3, 3.5, 3.4, 3.2, 3.3, 3.2, 3.3, 3.6, 3.4, 2.7, 2.8),
    # "Direct Avg" [Wh/m²/day]
    dni_wh_m2_day=(1772, 2365, 1410, 2597, 3625, 3259, 3311, 2400, 3221, 2722, 1913, 2254),
    temp_air_hourly_c=_SHANGHAI_TEMP_HOURLY_C,
    wind_speed_hourly_m_s=_SHANGHAI_WIND_HOURLY_M_S,
    # "Monthly Drybulb and Wetbulb Daily Ranges", row "Drybulb" (ASHRAE 2009) [°C]
    temp_air_range_c=(5.2, 5.4, 5.9, 6.8, 6.3, 5.3, 5.5, 4.7, 4.8, 5.3, 5.9, 5.5),
    source=SHANGHAI_CSWD_CITATION,
)

DEFAULT_DESCRIPTION = (
    "Synthetic Shanghai typical year built by pvsite from CSWD 58362 (Baoshan) monthly means "
    "— not real hourly weather"
)
DEFAULT_METHOD = (
    "pvlib Ineichen clear sky (Linke turbidity climatology), 10-min means, scaled day by day "
    "(daily clearness drawn from the Bendt et al. 1981 distribution, numpy seed "
    f"{VARIABILITY_SEED}, capped at clear sky) and rescaled to the monthly mean daily GHI; Erbs diffuse fraction scaled per month to the mean daily DHI; DNI by "
    "closure at the mid-hour apparent zenith (all diffuse above 87 deg) then scaled per month to "
    "the mean daily DNI (the source is not closure-consistent, nor is this year: "
    "DHI + DNI cos Z <= GHI); temperature and wind from the monthly mean diurnal profiles, the daily temperature "
    "range scaled by the squared daily clearness (Hargreaves-Samani)"
)


# ---------------------------------------------------------------------------
# Statistics from a .stat file or from hourly data
# ---------------------------------------------------------------------------


def monthly_stats_from_stat_file(path) -> MonthlyStats:
    """Read monthly statistics from an EnergyPlus ``.stat`` report.

    Parameters
    ----------
    path : str or path-like
        ``.stat`` file written by the EnergyPlus Weather Converter
        (ISO-8859-1 text), e.g. ``CHN_Shanghai.Shanghai.583620_CSWD.stat``.

    Returns
    -------
    MonthlyStats
        GHI, DHI, DNI [Wh/m²/day], temperature [°C] and wind [m/s] monthly
        means, the hourly temperature and wind profiles and the ASHRAE daily
        temperature range when present; ``source`` names the file.

    Raises
    ------
    InputError
        When a required section (solar radiation, dry bulb, wind speed) is
        missing.
    """
    path = Path(path)
    lines = path.read_text(encoding="latin-1").splitlines()

    def section(title: str) -> list[list[str]] | None:
        for i, line in enumerate(lines):
            if line.strip().startswith("- " + title):
                rows = []
                for row in lines[i + 1:]:
                    if row.strip().startswith("- "):
                        break
                    cells = [c.strip() for c in row.split("\t")]
                    if len(cells) >= 13 and any(cells):
                        rows.append(cells)
                return rows
        return None

    def row(rows, label: str) -> tuple | None:
        for cells in rows or []:
            if cells[1].lower().startswith(label.lower()):
                return tuple(float(v) for v in cells[2:14])
        return None

    def hourly(rows) -> tuple | None:
        table = [cells for cells in rows or [] if re.match(r"^\d{1,2}:01-\s*\d{1,2}:00$", cells[1])]
        if len(table) != 24:
            return None
        return tuple(tuple(float(v) for v in cells[2:14]) for cells in table)

    solar = section("Monthly Statistics for Solar Radiation")
    dry = section("Monthly Statistics for Dry Bulb temperatures")
    wind = section("Monthly Statistics for Wind Speed")
    needed = {"Global Avg": row(solar, "Global Avg"), "Diffuse Avg": row(solar, "Diffuse Avg"),
              "Dry bulb Daily Avg": row(dry, "Daily Avg"), "Wind Daily Avg": row(wind, "Daily Avg")}
    missing = [k for k, v in needed.items() if v is None]
    if missing:
        raise InputError(
            f"Statistics file {path}: no {', '.join(missing)} rows found.",
            fix="Use the .stat report written by the EnergyPlus Weather Converter for the EPW.",
            zh=f"统计文件 {path} 中找不到 {', '.join(missing)} 行。",
            fix_zh="请使用 EnergyPlus Weather Converter 为该 EPW 生成的 .stat 报告。",
        )
    ranges = section("Monthly Drybulb and Wetbulb Daily Ranges")
    return MonthlyStats(
        ghi_wh_m2_day=needed["Global Avg"],
        dhi_wh_m2_day=needed["Diffuse Avg"],
        temp_air_c=needed["Dry bulb Daily Avg"],
        wind_speed_m_s=needed["Wind Daily Avg"],
        dni_wh_m2_day=row(solar, "Direct Avg"),
        temp_air_hourly_c=hourly(section("Average Hourly Statistics for Dry Bulb temperatures")),
        wind_speed_hourly_m_s=hourly(section("Average Hourly Statistics for Wind Speed")),
        temp_air_range_c=row(ranges, "Drybulb") if ranges else None,
        source=f"monthly statistics from {path.name}",
    )


def stat_file_location(path) -> dict:
    """Station name, latitude, longitude and elevation from a ``.stat`` header.

    Parameters
    ----------
    path : str or path-like
        EnergyPlus ``.stat`` file.

    Returns
    -------
    dict
        ``name``, ``latitude`` [°], ``longitude`` [°], ``altitude`` [m]
        (degrees-minutes of the header converted to decimal degrees).
    """
    text = Path(path).read_text(encoding="latin-1")
    loc = re.search(r"Location --\s*(.+)", text)
    ll = re.search(r"\{([NS])\s*(\d+)\D+(\d+)'\}\s*\{([EW])\s*(\d+)\D+(\d+)'\}", text)
    elev = re.search(r"Elevation --\s*(-?[\d.]+)\s*m", text)
    if not ll:
        raise InputError(f"Statistics file {path}: no location line found.",
                         fix="Use the .stat report written by the EnergyPlus Weather Converter.",
                         zh=f"统计文件 {path} 中找不到位置（Location）行。",
                         fix_zh="请使用 EnergyPlus Weather Converter 生成的 .stat 报告。")
    lat = (int(ll[2]) + int(ll[3]) / 60.0) * (1 if ll[1] == "N" else -1)
    lon = (int(ll[5]) + int(ll[6]) / 60.0) * (1 if ll[4] == "E" else -1)
    return {
        "name": " ".join(loc[1].split()) if loc else Path(path).stem,
        "latitude": round(lat, 4),
        "longitude": round(lon, 4),
        "altitude": float(elev[1]) if elev else 0.0,
    }


def monthly_stats_from_weather(data: pd.DataFrame, source: str = "") -> MonthlyStats:
    """Monthly statistics of an hourly canonical frame.

    Parameters
    ----------
    data : pandas.DataFrame
        Canonical hourly frame (:func:`pvsite.io.weather.read_weather`): ghi,
        dni, dhi [W/m²], temp_air [°C], wind_speed [m/s]; index start of
        hour, Asia/Shanghai.  Must cover whole months.
    source : str, optional
        Description stored in ``MonthlyStats.source``.

    Returns
    -------
    MonthlyStats
        Mean daily GHI/DHI/DNI [Wh/m²/day], mean temperature [°C] and wind
        [m/s], the hourly profiles (hour of day × month) and the mean daily
        temperature range [°C].
    """
    index = pd.DatetimeIndex(data.index).tz_convert(CANONICAL_TZ)
    month = index.month
    hours = pd.Series(1, index=index).groupby(month).sum()
    if len(hours) != 12:
        raise InputError("monthly_stats_from_weather: the data do not cover all 12 months.",
                         fix="Pass a whole year of hourly data.",
                         zh="monthly_stats_from_weather：数据未覆盖全部 12 个月。",
                         fix_zh="请传入完整一年的逐时数据。")
    days = hours.to_numpy() / 24.0
    sums = data[["ghi", "dhi", "dni"]].groupby(month).sum().to_numpy()
    means = data[["temp_air", "wind_speed"]].groupby(month).mean()
    by_hour = data[["temp_air", "wind_speed"]].groupby([index.hour, month]).mean()
    temp_hourly = by_hour["temp_air"].unstack().reindex(index=range(24), columns=range(1, 13))
    wind_hourly = by_hour["wind_speed"].unstack().reindex(index=range(24), columns=range(1, 13))
    day = data["temp_air"].groupby([month, index.day]).agg(["max", "min"])
    day_range = (day["max"] - day["min"]).groupby(level=0).mean()

    def t(a):
        return tuple(float(v) for v in a)

    return MonthlyStats(
        ghi_wh_m2_day=t(sums[:, 0] / days),
        dhi_wh_m2_day=t(sums[:, 1] / days),
        dni_wh_m2_day=t(sums[:, 2] / days),
        temp_air_c=t(means["temp_air"]),
        wind_speed_m_s=t(means["wind_speed"]),
        temp_air_hourly_c=tuple(t(r) for r in temp_hourly.to_numpy()),
        wind_speed_hourly_m_s=tuple(t(r) for r in wind_hourly.to_numpy()),
        temp_air_range_c=t(day_range),
        source=source,
    )


# ---------------------------------------------------------------------------
# Synthesis
# ---------------------------------------------------------------------------


def synthesise_year(
    monthly: MonthlyStats,
    latitude: float,
    longitude: float,
    altitude: float,
    year: int = TYPICAL_YEAR,
    dni: str = "statistic",
    variability: bool = True,
    seed: int = VARIABILITY_SEED,
) -> pd.DataFrame:
    """Build an hourly typical year whose monthly means match ``monthly``.

    See the module docstring for the method and its limits.

    Parameters
    ----------
    monthly : MonthlyStats
        Monthly statistics (e.g. :data:`SHANGHAI_CSWD_58362`,
        :func:`monthly_stats_from_stat_file`, :func:`monthly_stats_from_weather`).
    latitude : float
        Site latitude [°, north positive].
    longitude : float
        Site longitude [°, east positive].
    altitude : float
        Site elevation above sea level [m].
    year : int, optional
        Calendar year of the index (8784 hours if a leap year).
    dni : {'statistic', 'closure'}
        ``'statistic'`` (default): the closure DNI of each month is scaled so
        the month's mean daily DNI equals ``monthly.dni_wh_m2_day`` (falls
        back to closure when that is ``None``).  ``'closure'``: DNI =
        (GHI − DHI)/cos Z exactly, monthly DNI not imposed.
    variability : bool, optional
        Give each day its own clearness (Bendt et al. 1981 distribution,
        step 2 of the module docstring) and a diurnal temperature range that
        follows it (step 5).  ``False``: every day of a month is the month's
        average day (the method before day-to-day variability was added).
    seed : int, optional
        Seed of the ``numpy.random.Generator`` that draws and orders the
        daily clearness values; the same seed gives the same year
        byte-for-byte (default :data:`VARIABILITY_SEED`).

    Returns
    -------
    pandas.DataFrame
        Canonical hourly frame: ghi, dni, dhi [W/m²], temp_air [°C],
        wind_speed [m/s] (float64), index start of each hour in
        Asia/Shanghai.  Monthly mean daily GHI, DHI (and with
        ``dni='statistic'`` DNI) equal ``monthly``.
    """
    if dni not in ("statistic", "closure"):
        raise ValueError(f"synthesise_year: dni must be 'statistic' or 'closure', got {dni!r}")
    import pvlib

    index = pd.date_range(f"{year}-01-01", f"{year + 1}-01-01", freq="h",
                          tz=CANONICAL_TZ, inclusive="left").as_unit("ns")
    n = len(index)
    month0 = index.month.to_numpy() - 1
    days_in_month = np.bincount(month0, minlength=12) / 24.0
    location = pvlib.location.Location(latitude, longitude, tz=CANONICAL_TZ, altitude=altitude)

    # 1. clear sky, 10-min samples averaged to hourly means
    step_s = 3600 // _SUBSTEPS
    offsets = (np.arange(_SUBSTEPS) * step_s + step_s // 2).astype("timedelta64[s]")
    start_utc = index.tz_convert("UTC").tz_localize(None).to_numpy()
    sub = pd.DatetimeIndex((start_utc[:, None] + offsets[None, :]).ravel()).tz_localize("UTC")
    clear = location.get_clearsky(sub, model="ineichen")
    ghi_cs = clear["ghi"].to_numpy().reshape(n, _SUBSTEPS).mean(axis=1)
    dni_cs = clear["dni"].to_numpy().reshape(n, _SUBSTEPS).mean(axis=1)

    # 2. GHI: daily clearness (Bendt et al. 1981) rescaled to the monthly mean
    target_ghi = np.asarray(monthly.ghi_wh_m2_day, dtype=float) * days_in_month  # Wh/m²/month
    day_month0 = month0[::24]
    if variability:
        h0_day = _daily_extraterrestrial_wh_m2(location, sub, n)  # Wh/m²/day, horizontal
        hcs_day = ghi_cs.reshape(-1, 24).sum(axis=1)
        day_scale = _daily_clear_sky_fraction(target_ghi, h0_day, hcs_day, day_month0,
                                              np.random.default_rng(seed))
        ghi = np.repeat(day_scale, 24) * ghi_cs
    else:
        day_scale = None
        scale = target_ghi / np.bincount(month0, weights=ghi_cs, minlength=12)
        ghi = scale[month0] * ghi_cs

    # 3. DHI: Erbs diffuse fraction, one scale factor per month
    mid = index + pd.Timedelta(minutes=30)
    solpos = location.get_solarposition(mid)
    zenith = solpos["apparent_zenith"].to_numpy()
    cos_z = np.cos(np.radians(zenith))
    low_sun = zenith > LOW_SUN_ZENITH_DEG
    erbs = pvlib.irradiance.erbs(ghi, zenith, mid.day_of_year.to_numpy())
    with np.errstate(invalid="ignore", divide="ignore"):
        df0 = np.where(ghi > 0, np.asarray(erbs["dhi"]) / ghi, 1.0)
    df0 = np.clip(np.nan_to_num(df0, nan=1.0), 0.0, 1.0)
    target_dhi = np.asarray(monthly.dhi_wh_m2_day, dtype=float) * days_in_month
    # floor: the diffuse that the clear-sky beam cap of step 4 would force anyway
    floor = np.where(low_sun, ghi, np.clip(ghi - dni_cs * cos_z, 0.0, ghi))
    factor = _solve_diffuse_scale(ghi, df0, low_sun, month0, target_dhi, floor)
    dhi = np.where(low_sun, ghi, np.maximum(floor, ghi * np.minimum(1.0, factor[month0] * df0)))

    # 4. DNI by closure at the mid-hour zenith, capped at clear-sky DNI
    with np.errstate(invalid="ignore", divide="ignore"):
        dni_closure = np.where(low_sun | (ghi <= 0), 0.0, (ghi - dhi) / cos_z)
    capped = dni_closure > dni_cs
    if capped.any():
        logger.info("synthesise_year: %d hours with closure DNI above clear sky capped "
                    "(excess moved to DHI)", int(capped.sum()))
        dni_closure = np.minimum(dni_closure, dni_cs)
        dhi = ghi - dni_closure * np.where(low_sun, 0.0, cos_z)
    dni_h = dni_closure
    if dni == "statistic" and monthly.dni_wh_m2_day is not None:
        target_dni = np.asarray(monthly.dni_wh_m2_day, dtype=float) * days_in_month
        have = np.bincount(month0, weights=dni_closure, minlength=12)
        ratio = np.divide(target_dni, have, out=np.zeros(12), where=have > 0)
        logger.info("synthesise_year: monthly DNI statistic / closure DNI = %s",
                    np.round(ratio, 3).tolist())
        dni_h = np.minimum(dni_closure * ratio[month0], dni_cs)

    # 5. temperature: smooth daily means + monthly mean diurnal anomaly
    hour = index.hour.to_numpy()
    day0 = index.day_of_year.to_numpy() - 1
    daily_temp = _mean_preserving_daily(np.asarray(monthly.temp_air_c, float), day_month0)
    if monthly.temp_air_hourly_c is not None:
        profile = np.asarray(monthly.temp_air_hourly_c, float)  # (24, 12)
        anomaly = profile - profile.mean(axis=0, keepdims=True)
    else:
        rng = np.asarray(monthly.temp_air_range_c if monthly.temp_air_range_c is not None
                         else (8.0,) * 12, float)
        if monthly.temp_air_range_c is None:
            logger.warning("synthesise_year: no temperature profile or range; assuming an "
                           "8 °C daily range (pvsite assumption)")
        shape = np.cos(2 * np.pi * (np.arange(24) + 0.5 - 15.5) / 24.0)[:, None]
        anomaly = 0.5 * rng[None, :] * shape
    if day_scale is not None:
        # daily range ∝ K_T² (Hargreaves & Samani 1982; FAO-56 eq. 50),
        # normalised per month so the mean diurnal profile is kept exactly
        kt_day = np.divide(day_scale * hcs_day, h0_day, out=np.zeros_like(h0_day),
                           where=h0_day > 0)
        kt2 = kt_day ** 2
        month_kt2 = np.bincount(day_month0, weights=kt2, minlength=12) / np.bincount(
            day_month0, minlength=12)
        amplitude = np.divide(kt2, month_kt2[day_month0], out=np.ones_like(kt2),
                              where=month_kt2[day_month0] > 0)
    else:
        amplitude = np.ones(len(day_month0))
    temp_air = daily_temp[day0] + amplitude[day0] * anomaly[hour, month0]

    # 6. wind: monthly mean diurnal profile scaled to the monthly mean
    wind_mean = np.asarray(monthly.wind_speed_m_s, float)
    if monthly.wind_speed_hourly_m_s is not None:
        wprofile = np.asarray(monthly.wind_speed_hourly_m_s, float)
        col_mean = wprofile.mean(axis=0, keepdims=True)
        wshape = np.divide(wprofile, col_mean, out=np.ones_like(wprofile), where=col_mean > 0)
    else:
        wshape = np.ones((24, 12))
    wind = wind_mean[month0] * wshape[hour, month0]

    frame = pd.DataFrame(
        {"ghi": ghi, "dni": dni_h, "dhi": dhi, "temp_air": temp_air, "wind_speed": wind},
        index=index,
    ).astype("float64")
    frame.index.name = "time"
    return frame


def bendt_kt_quantile(u, kt_mean):
    """Daily clearness index for cumulative probability ``u`` (Bendt et al. 1981).

    The generalised Liu & Jordan (1960) distribution of daily clearness index
    K_T for a month of mean clearness K̄_T, as fitted by Bendt, Collares-Pereira
    & Rabl (1981) and given in Duffie & Beckman, *Solar Engineering of Thermal
    Processes* (4th ed., 2013, ch. 2)::

        F(K_T) = (exp(γ K_min) − exp(γ K_T)) / (exp(γ K_min) − exp(γ K_max))
        K_min = 0.05,  K_max = 0.6313 + 0.267 K̄_T − 11.9 (K̄_T − 0.75)^8

    with γ chosen so the distribution's mean is K̄_T (solved by bisection
    here, rather than with the closed-form approximation of γ that Bendt et
    al. also give).

    Parameters
    ----------
    u : array_like
        Cumulative probabilities in [0, 1] [-].
    kt_mean : float
        Monthly mean clearness index K̄_T (monthly GHI / extraterrestrial
        horizontal irradiation) [-].

    Returns
    -------
    numpy.ndarray
        Daily clearness indices K_T [-], same shape as ``u``.
    """
    k_min = 0.05
    k_max = 0.6313 + 0.267 * kt_mean - 11.9 * (kt_mean - 0.75) ** 8
    kt_mean = float(np.clip(kt_mean, k_min + 1e-3, k_max - 1e-3))

    def mean_of(gamma):
        if abs(gamma) < 1e-9:
            return 0.5 * (k_min + k_max)
        ea, eb = np.exp(gamma * (k_min - k_max)), 1.0  # scaled by exp(-γ K_max)
        return (k_max * eb - k_min * ea) / (eb - ea) - 1.0 / gamma

    lo, hi = -200.0, 200.0  # mean_of is increasing in γ
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if mean_of(mid) < kt_mean else (lo, mid)
    gamma = 0.5 * (lo + hi)
    u = np.asarray(u, dtype=float)
    if abs(gamma) < 1e-9:
        return k_min + u * (k_max - k_min)
    # K_T = K_max + ln(e^{γ(K_min−K_max)} + u (1 − e^{γ(K_min−K_max)})) / γ  (overflow-safe)
    ea = np.exp(gamma * (k_min - k_max))
    return k_max + np.log(ea + u * (1.0 - ea)) / gamma


def _daily_extraterrestrial_wh_m2(location, sub: pd.DatetimeIndex, n_hours: int) -> np.ndarray:
    """Daily extraterrestrial horizontal irradiation [Wh/m²] from the 10-min samples."""
    import pvlib

    zenith = location.get_solarposition(sub)["zenith"].to_numpy()
    extra = np.asarray(pvlib.irradiance.get_extra_radiation(sub), dtype=float)
    hourly = (extra * np.clip(np.cos(np.radians(zenith)), 0.0, None)).reshape(n_hours, -1)
    return hourly.mean(axis=1).reshape(-1, 24).sum(axis=1)


def _daily_clear_sky_fraction(target_ghi, h0_day, hcs_day, day_month0, rng,
                              iterations: int = 100):
    """Per-day factor c_d on the clear-sky day so daily K_T follows Bendt et al.
    (1981), 0 < c_d ≤ 1, and each month's Σ c_d·H_cs,d equals ``target_ghi``."""
    n_days = len(day_month0)
    kt = np.zeros(n_days)
    for m in range(12):
        days = np.flatnonzero(day_month0 == m)
        kt_mean = target_ghi[m] / h0_day[days].sum()
        # stratified (Latin hypercube) probabilities in random order
        u = (rng.permutation(len(days)) + rng.random(len(days))) / len(days)
        kt[days] = bendt_kt_quantile(u, kt_mean)
    c = np.clip(np.divide(kt * h0_day, hcs_day, out=np.zeros(n_days), where=hcs_day > 0),
                0.0, 1.0)
    for _ in range(iterations):  # rescale per month, keep c ≤ 1 (clear sky)
        got = np.bincount(day_month0, weights=c * hcs_day, minlength=12)
        c = np.minimum(c * (target_ghi / got)[day_month0], 1.0)
    got = np.bincount(day_month0, weights=c * hcs_day, minlength=12)
    free = c < 1.0
    free_sum = np.bincount(day_month0, weights=np.where(free, c * hcs_day, 0.0), minlength=12)
    fixed_sum = got - free_sum
    k = np.divide(target_ghi - fixed_sum, free_sum, out=np.ones(12), where=free_sum > 0)
    c = np.where(free, c * k[day_month0], c)
    if (c > 1.0 + 1e-9).any():
        logger.warning("synthesise_year: monthly GHI needs days above clear sky")
    return c


def _solve_diffuse_scale(ghi, df0, low_sun, month0, target_dhi, floor=None,
                         iterations: int = 60):
    """Per-month factor s with Σ max(floor, GHI·min(1, s·df0)) (+ low-sun GHI)
    = target (bisection); ``floor`` [W/m²] is a per-hour minimum diffuse."""
    fixed = np.bincount(month0, weights=np.where(low_sun, ghi, 0.0), minlength=12)
    total = np.bincount(month0, weights=ghi, minlength=12)
    w = np.where(low_sun, 0.0, ghi)
    floor = np.zeros_like(ghi) if floor is None else np.where(low_sun, 0.0, floor)
    least = fixed + np.bincount(month0, weights=floor, minlength=12)
    need = np.clip(target_dhi, least, total) - fixed
    if (target_dhi < least - 1e-6).any():
        logger.warning("synthesise_year: monthly DHI below the low-sun / clear-sky-beam diffuse "
                       "floor in months %s",
                       [MONTHS[m] for m in np.flatnonzero(target_dhi < least - 1e-6)])
    positive = df0[(w > 0) & (df0 > 0)]
    lo = np.zeros(12)
    hi = np.full(12, 1.0 / positive.min() if positive.size else 1.0)
    for _ in range(iterations):
        s = 0.5 * (lo + hi)
        got = np.bincount(month0, weights=np.maximum(floor, w * np.minimum(1.0, s[month0] * df0)),
                          minlength=12)
        too_low = got < need
        lo = np.where(too_low, s, lo)
        hi = np.where(too_low, hi, s)
    return 0.5 * (lo + hi)


def _mean_preserving_daily(monthly_mean: np.ndarray, day_month0: np.ndarray) -> np.ndarray:
    """Daily values, piecewise linear between mid-month anchors (periodic over
    the year), whose mean over each month equals ``monthly_mean`` exactly."""
    n_days = len(day_month0)
    day = np.arange(n_days) + 0.5
    first = np.array([np.flatnonzero(day_month0 == m)[0] for m in range(12)])
    length = np.bincount(day_month0, minlength=12)
    mid = first + length / 2.0
    # periodic linear interpolation weights: each day between two anchors
    ext = np.concatenate([mid - n_days, mid, mid + n_days])
    j = np.searchsorted(ext, day) - 1
    frac = (day - ext[j]) / (ext[j + 1] - ext[j])
    weights = np.zeros((n_days, 12))
    np.add.at(weights, (np.arange(n_days), j % 12), 1.0 - frac)
    np.add.at(weights, (np.arange(n_days), (j + 1) % 12), frac)
    averaging = np.zeros((12, n_days))
    averaging[day_month0, np.arange(n_days)] = 1.0 / length[day_month0]
    anchors = np.linalg.solve(averaging @ weights, monthly_mean)
    return weights @ anchors


# ---------------------------------------------------------------------------
# The default year, its table, and the CLI
# ---------------------------------------------------------------------------


def build_default_weather(year: int = TYPICAL_YEAR) -> tuple[pd.DataFrame, dict]:
    """Synthesise the default Shanghai year from :data:`SHANGHAI_CSWD_58362`.

    Parameters
    ----------
    year : int, optional
        Calendar year of the index.

    Returns
    -------
    data : pandas.DataFrame
        Canonical hourly frame (ghi, dni, dhi [W/m²], temp_air [°C],
        wind_speed [m/s]).
    meta : dict
        Header for :func:`pvsite.io.weather.write_weather_csv` (name, latitude,
        longitude, altitude, is_synthetic=True, description, source, method).
    """
    data = synthesise_year(SHANGHAI_CSWD_58362, SHANGHAI_SITE["latitude"],
                           SHANGHAI_SITE["longitude"], SHANGHAI_SITE["altitude"], year=year)
    meta = {
        **SHANGHAI_SITE,
        "is_synthetic": True,
        "description": DEFAULT_DESCRIPTION,
        "source": SHANGHAI_CSWD_CITATION,
        "method": DEFAULT_METHOD,
        "generated_by": "python -m pvsite.datagen.default_weather (pvsite/datagen/default_weather.py)",
        "units": "time = start of hour (Asia/Shanghai); ghi, dni, dhi W/m2 hourly means; "
                 "temp_air degC; wind_speed m/s",
    }
    return data, meta


def monthly_table(data: pd.DataFrame, reference: MonthlyStats | None = None) -> pd.DataFrame:
    """Monthly and annual sums/means of an hourly frame, optionally against statistics.

    Parameters
    ----------
    data : pandas.DataFrame
        Canonical hourly frame (ghi, dni, dhi [W/m²], temp_air [°C],
        wind_speed [m/s]).
    reference : MonthlyStats, optional
        Statistics to compare with (e.g. :data:`SHANGHAI_CSWD_58362`).

    Returns
    -------
    pandas.DataFrame
        Rows Jan…Dec and ``Year``; columns ``ghi_kwh_m2``, ``dhi_kwh_m2``,
        ``dni_kwh_m2`` (monthly sums [kWh/m²]), ``ghi_wh_m2_day``,
        ``dhi_wh_m2_day``, ``dni_wh_m2_day`` (mean daily [Wh/m²/day]),
        ``temp_air_c`` [°C], ``wind_speed_m_s`` [m/s], and with a reference
        ``ref_ghi_wh_m2_day``, ``ref_dhi_wh_m2_day``, ``ref_dni_wh_m2_day``
        and the differences ``ghi_diff_pct``, ``dhi_diff_pct``,
        ``dni_diff_pct`` [%].
    """
    stats = monthly_stats_from_weather(data)
    index = pd.DatetimeIndex(data.index).tz_convert(CANONICAL_TZ)
    days = pd.Series(1, index=index).groupby(index.month).sum().to_numpy() / 24.0
    table = pd.DataFrame(index=list(MONTHS) + ["Year"])
    for col in ("ghi", "dhi", "dni"):
        per_day = np.asarray(getattr(stats, f"{col}_wh_m2_day"))
        sums = per_day * days / 1000.0
        table[f"{col}_kwh_m2"] = [*sums, sums.sum()]
        table[f"{col}_wh_m2_day"] = [*per_day, sums.sum() * 1000.0 / days.sum()]
    table["temp_air_c"] = [*stats.temp_air_c, float(data["temp_air"].mean())]
    table["wind_speed_m_s"] = [*stats.wind_speed_m_s, float(data["wind_speed"].mean())]
    if reference is not None:
        for col in ("ghi", "dhi", "dni"):
            ref = getattr(reference, f"{col}_wh_m2_day")
            if ref is None:
                continue
            ref = np.asarray(ref, float)
            ref_year = float((ref * days).sum() / days.sum())
            table[f"ref_{col}_wh_m2_day"] = [*ref, ref_year]
            ratio = table[f"{col}_wh_m2_day"] / table[f"ref_{col}_wh_m2_day"]
            table[f"{col}_diff_pct"] = 100.0 * (ratio - 1.0)
    return table


def monthly_table_markdown(data: pd.DataFrame, reference: MonthlyStats | None = None) -> str:
    """:func:`monthly_table` as a Markdown table (used for ``irradiance/README.md``).

    Parameters
    ----------
    data : pandas.DataFrame
        Canonical hourly frame.
    reference : MonthlyStats, optional
        Statistics to compare with.

    Returns
    -------
    str
        Markdown table; irradiation sums in kWh/m², means in °C and m/s.
    """
    t = monthly_table(data, reference)
    head = ["month", "GHI kWh/m²", "DHI kWh/m²", "DNI kWh/m²", "air °C", "wind m/s"]
    if reference is not None:
        head += ["GHI vs stat %", "DHI vs stat %", "DNI vs stat %"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name, r in t.iterrows():
        cells = [name, f"{r.ghi_kwh_m2:.1f}", f"{r.dhi_kwh_m2:.1f}", f"{r.dni_kwh_m2:.1f}",
                 f"{r.temp_air_c:.1f}", f"{r.wind_speed_m_s:.2f}"]
        if reference is not None:
            cells += [f"{(round(r[f'{c}_diff_pct'], 2) or 0.0):+.2f}" if f"{c}_diff_pct" in t
                      else "–" for c in ("ghi", "dhi", "dni")]
        if name == "Year":
            cells = [f"**{c}**" for c in cells]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m pvsite.datagen.default_weather``: (re)generate the default year.

    Parameters
    ----------
    argv : sequence of str, optional
        Command-line arguments (default ``sys.argv[1:]``).

    Returns
    -------
    int
        Exit code (0 on success).
    """
    parser = argparse.ArgumentParser(
        prog="python -m pvsite.datagen.default_weather",
        description="Generate the synthetic Shanghai typical year (irradiance/"
                    "shanghai_default_year.csv) from the cited CSWD 58362 monthly statistics.",
    )
    parser.add_argument("-o", "--output", type=Path, default=paths.DEFAULT_WEATHER,
                        help="output CSV (default: %(default)s)")
    parser.add_argument("--overwrite", action="store_true",
                        help="replace an existing output whose content differs")
    parser.add_argument("--table", action="store_true",
                        help="print the monthly table (Markdown) of the output and exit "
                             "without writing")
    parser.add_argument("-q", "--quiet", action="store_true", help="print nothing on success")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")

    if args.table:
        data, _ = read_weather(args.output, format="csv")
        print(monthly_table_markdown(data, SHANGHAI_CSWD_58362))
        return 0
    data, meta = build_default_weather()
    out: Path = args.output
    if out.exists():
        import tempfile

        with tempfile.TemporaryDirectory() as tmp:
            fresh = write_weather_csv(data, meta, Path(tmp) / out.name).read_bytes()
        if fresh == out.read_bytes():
            if not args.quiet:
                print(f"{out} is up to date (identical bytes).")
            return 0
        if not args.overwrite:
            print(f"error: {out} exists and differs from the regenerated year; "
                  "pass --overwrite to replace it.", file=sys.stderr)
            return 4
    write_weather_csv(data, meta, out)
    if not args.quiet:
        written, _ = read_weather(out, format="csv")
        print(f"wrote {out} ({len(written)} hours, GHI {written['ghi'].sum() / 1000:.1f} kWh/m²)")
        print(monthly_table_markdown(written, SHANGHAI_CSWD_58362))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
