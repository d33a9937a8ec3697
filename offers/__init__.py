"""Offers: the catalogue (the one source of truth by offer id), the expected value of an offer
for a customer, and allocation under the winback budget, with the uplift model behind it."""
