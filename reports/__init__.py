"""Reports from our own records: the message funnel, the business KPIs against their targets,
experiment results with holdout lift, the bandit's persisted posteriors, and the HTML page."""
