"""`python -m langgraph_gates` runs the `gates` command line."""

from langgraph_gates.cli import main

main()
