"""The graph LangGraph Studio and `langgraph dev` serve (see langgraph.json).

Compiled without a checkpointer: the LangGraph server brings its own.
"""

from langgraph_gates import build_graph

graph = build_graph()
