"""Continual-learning methods as hook sets (methods/base.py is the contract)."""
