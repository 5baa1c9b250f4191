"""Evaluation: tasks, state-diff contracts, BFCL checkers, the eval runner and its reports."""
