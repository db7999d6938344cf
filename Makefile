# Each target creates the virtual environment it needs from scratch when it is missing.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: demo test lint studio examples bench bench-evidence bench-llm reliability clean \
	bench-artifacts bench-artifacts-venv bench-dossier bench-champion bench-spark bench-spark-evidence bench-spark-predictions

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install -q --upgrade pip
	@$(BIN)/python -m pip install -q -e '.[dev]'
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)

## demo: a full offline review of the bundled churn example (reports in workflow_outputs/)
demo: $(STAMP)
	$(BIN)/gates review examples/churn/dossier.yaml

## test: the whole test suite (unit, integration, end to end)
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/python -m pytest -q -n 2 --dist loadgroup

lint: $(STAMP)
	$(BIN)/ruff check .

## studio: LangGraph Studio / dev server on the seed's port, offline, no browser
studio: $(STAMP)
	LANGGRAPH_CLI_NO_ANALYTICS=1 LANGGRAPH_NO_VERSION_CHECK=true \
	  $(BIN)/langgraph dev --port 8099 --no-browser

## examples: regenerate the example evidence files (deterministic)
examples: $(STAMP)
	$(BIN)/python examples/generate.py

## bench: the speed, memory and token benchmarks; results in benchmarks/*.md (see BENCHMARKS.md)
bench: bench-evidence bench-llm reliability bench-dossier bench-champion
	$(BIN)/python benchmarks/assemble.py

bench-evidence: $(STAMP)
	$(BIN)/python -m pip install -q -e '.[bench]'
	$(BIN)/python benchmarks/bench_evidence.py

bench-llm: $(STAMP)
	$(BIN)/python -m pip install -q -e '.[bench]'
	$(BIN)/python benchmarks/bench_llm.py

## bench-artifacts: our artifact scanner beside picklescan and modelscan on the peers' sample
## sets (tests/artifacts/peers); results in benchmarks/artifacts.md. Uses its own venv.
PEERS := benchmarks/.venv-peers/bin
bench-artifacts-venv:
	@test -x $(PEERS)/python || $(PYTHON) -m venv benchmarks/.venv-peers
	$(PEERS)/python -m pip install -q torch==2.13.0
	$(PEERS)/python -m pip install -q picklescan==1.0.5 modelscan==0.8.8 fickling==0.1.12 \
	  tensorflow-cpu==2.21.0 tf-keras==2.21.0 h5py dill scikit-learn joblib skops onnx \
	  safetensors py7zr aiohttp requests pytest
	$(PEERS)/python -m pip install -q -e '.[artifacts]'

bench-artifacts: bench-artifacts-venv
	$(PEERS)/python benchmarks/bench_artifacts.py --repeat 5

## bench-dossier: one review of a 5 MB dossier (wall time, peak RSS, SQLite size, redaction
## passes); adds the "after" row of benchmarks/dossier.md
bench-dossier: $(STAMP)
	$(BIN)/python benchmarks/bench_dossier.py --label after

## bench-champion: the paired bootstrap of MP.CHAMPION over 100k and 1M predictions (time,
## peak memory); writes benchmarks/champion.md
bench-champion: $(STAMP)
	$(BIN)/python benchmarks/bench_champion.py

## bench-spark: client time and peak memory of the profile on Spark tables of growing size, on a
## local Spark Connect server (needs Java 17); results in benchmarks/spark.md
bench-spark: $(STAMP)
	$(BIN)/python benchmarks/bench_spark.py

## bench-spark-evidence: the evidence benchmark's 12 tabular checks at 1M and 10M rows on DuckDB
## and on a local Spark Connect server (time, client memory, ratio, outcomes); about 10 minutes
bench-spark-evidence: $(STAMP)
	$(BIN)/python -m pip install -q -e '.[bench]'
	$(BIN)/python benchmarks/bench_evidence.py --sizes 1000000,10000000 \
		--variants gates,gates-spark --output benchmarks/spark_evidence.md \
		--title "The 10M-row evidence set on DuckDB and on Spark Connect"


## bench-spark-predictions: client time and peak memory of reading predictions from Spark tables of
## growing size (every row's needed columns come to the client); results in benchmarks/spark_predictions.md
bench-spark-predictions: $(STAMP)
	$(BIN)/python benchmarks/bench_spark_predictions.py

reliability: $(STAMP)
	$(BIN)/python benchmarks/reliability.py

clean:
	rm -rf $(VENV) .gates workflow_outputs .pytest_cache .ruff_cache
