"""The livable-community standard as figures: each community's compliance per local
day (clearance by the cut-off, exposed garbage, sewer overflows, camera availability,
pest control on its cycle, the static criteria), computed from InfluxDB with the
thresholds of `core.standard`. The one formula the API, the demo's report, the week
benchmark and the reports share (`daily.compute_daily`, `daily.compute_compliance`).
"""
