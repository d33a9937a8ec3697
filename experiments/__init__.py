"""Experiments: experiment definitions, stable assignment, the Thompson-sampling bandit,
holdout lift statistics and the offline replay evaluation. Plain Python, no Temporal imports."""
