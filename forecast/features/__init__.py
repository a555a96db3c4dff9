"""Features: the month grid, form against expectation, rumours as propositions, the model's input arrays."""
