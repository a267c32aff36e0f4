"""tco: plan AI accelerator clusters at minimum total cost of ownership."""
