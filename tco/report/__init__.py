"""What the run hands back: the procurement workbook (`workbook`, one module per sheet in
`sheets`) and the JSON/text summary (`summary`), both worded by `explain`."""
