"""Daily garbage-clearance and pest-control routes for the district's crews.

`planning.plan_day` turns the registry and the latest state into a `PlanRecord`;
`jobs.run_plan_job` runs a queued plan from the plan store; `routing` is the only
module that speaks OR-Tools, everything else uses the types in `model`.
"""
