"""Short, obviously-correct pure-numpy oracles that maskcore's kernels are tested against."""
