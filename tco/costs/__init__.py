"""The cost-line registry: each BOM line declared once, priced as Pyomo, number or formula."""
