"""Train and evaluate the recommender on the Complete Journey baskets.

Run as `python -m lab.recommendations train`.
"""
