"""The Pyomo MILP: one module per concern, each exposing `add_to(model, ctx)`."""
