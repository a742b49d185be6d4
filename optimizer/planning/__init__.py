"""From the district to routing problems, and from their solutions to plans: the
state planned from, fill forecasts, the garbage and pest tasks, the day's plan
(`day.plan_day`), why stops are left out, and the plan's records, exports and jobs.
"""
