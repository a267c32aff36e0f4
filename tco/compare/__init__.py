"""`tco compare`: several plans side by side, their differences in words, charts.

`load` opens each file (an input workbook to solve, or a tco report read back
by `report_reader`) into an `entry`; `figures` declares the compared rows,
`sentences` says what differs and why, `workbook` writes the comparison and
`screen` prints it.
"""
