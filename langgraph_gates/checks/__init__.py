"""Checks, one module per area; each check is a :class:`~langgraph_gates.checks.base.CheckSpec`."""
