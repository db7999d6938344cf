"""Checks, one module per area: each check is a function from a context to a verdict.

What each check is called, what it needs and how it fails is declared in one table,
``langgraph_gates/catalog.yaml``; :mod:`langgraph_gates.checks.catalog` joins the two into a
:class:`~langgraph_gates.checks.base.CheckSpec`.
"""
