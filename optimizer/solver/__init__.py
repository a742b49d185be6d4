"""The routing solver: a `Problem` in, a `Solution` out; the only package that imports OR-Tools."""
