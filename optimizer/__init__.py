"""Daily garbage-clearance and pest-control routes for the district's crews.

`planning` turns the registry and the latest state into routing problems and their
solutions into a `PlanRecord` (`planning.day.plan_day`; `planning.jobs.run_plan_job`
runs a queued plan from the plan store). `solver` solves a routing problem: it is
the only package that imports OR-Tools, and it knows nothing of planning. `distance`
provides the matrices a problem is built with.
"""
