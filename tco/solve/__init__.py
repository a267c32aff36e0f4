"""HiGHS through Pyomo, status mapping, and the infeasibility diagnosis."""
