"""The HTTP app `langgraph.json` mounts beside the graph: secrets are redacted on the way in.

The LangGraph server stores a run's input before any node runs; the middleware masks the
secrets in run and state requests first (see :mod:`langgraph_gates.server`).
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.middleware import Middleware

from langgraph_gates.server import RedactSecretsMiddleware

app = Starlette(middleware=[Middleware(RedactSecretsMiddleware)])
