"""Environments: stateful tool worlds with reset, snapshot/restore, state and diff."""
