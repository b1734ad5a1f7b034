"""Analyses on Results: which uncertain inputs drive an answer."""
