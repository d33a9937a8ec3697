"""Recommendations: complements, substitutes and bundles, each with its kind and reason.

Trained offline (`lab/recommendations`, never imported here) into a versioned artefact; served
from tables loaded from it (`journeyctl recommendations load`). No Temporal, no heavy imports.
"""
