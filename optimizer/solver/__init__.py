"""The routing solver: a `problem.Problem` in, a `solution.Solution` out
(`portfolio.solve`), within a `budget.Budget` of time. The only package that imports
OR-Tools; it knows nothing of the district or of plans.
"""
