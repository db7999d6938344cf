"""The commented dossier template that `gates init` writes."""

from __future__ import annotations

__all__ = ["DOSSIER_TEMPLATE"]

DOSSIER_TEMPLATE = """\
# langgraph-gates review dossier. Every section is optional: what is missing becomes a
# finding (usually `missing` or `fail`), never a crash. Relative paths resolve against this
# file's folder and may not leave it. `gates schema` prints the full JSON Schema.

model:
  name: my-model
  version: 0.1.0
  # binary_classification | multiclass_classification | regression | ranking | forecasting |
  # generation | reinforcement_learning | other
  task: binary_classification
  use_case: One line on what the model is for
  description: Free text, any length.
  algorithms: [gradient boosting]

owners:                       # optional per-gate owners; role names are used otherwise
  data_readiness: data-platform@example.com

problem:
  objective: Who benefits, what changes and by when, in one sentence.
  kpis:
    - {name: monthly churn rate, baseline: 0.042, target: 0.035}
  success_criteria:           # judged on test (else validation) metrics
    - {metric: roc_auc, threshold: 0.80, direction: higher}
  in_scope: [what the model decides]
  out_of_scope: [what it must not be used for]
  assumptions: [what must hold for it to work]

data:
  sources:
    - {name: warehouse_table, owner: data-eng, refreshed: 2026-10-01}
  label: target               # label column in the data files
  timestamp: event_date       # optional event-time column (freshness, temporal leakage)
  sensitive_attributes: []    # e.g. [region, age_band]; or [] with a justification
  sensitive_justification: Explain why no attribute is sensitive, if the list is empty.
  train: data/train.parquet   # CSV or Parquet
  validation: data/valid.parquet
  serving: data/serving_sample.parquet   # recent production inputs, for drift
  labeling_qc: How labels are produced and audited.

features:
  key: [feature_a, feature_b] # missingness is judged on these (all features if empty)
  transformations: Encodings, scaling, windows, and where they run.
  missingness_strategy: How missing values are handled.
  excluded: [id]              # columns that are not features

performance:
  predictions: eval/predictions.csv   # y_true, y_pred and/or y_score, plus group columns
  metrics: eval/metrics.json          # {"train": {...}, "validation": {...}, "test": {...},
                                      #  "cv": {"roc_auc": [...]}, "feature_importance": {...}}
  validation_strategy: time_split     # time_split | kfold | holdout | none
  baseline: {metric: roc_auc, value: 0.70}
  error_analysis: Where the model fails, and why.

responsible_ai:
  harms: [Who could be hurt by a wrong prediction, and how]
  governance: {review_board: model-risk-committee, approver: head-of-ml}

security:
  artifact: model/model.joblib        # scanned statically, never loaded
  artifact_sha256: ""                 # the SHA-256 you published for the artifact
  scan_paths: [config/]               # scanned for hard-coded secrets
  requirements: requirements.txt
  threat_model: Evasion, poisoning and extraction - what you expect and how you defend.
  input_validation: How serving inputs are validated.

deployment:
  rollout: {strategy: canary, stages: [5, 25, 50, 100]}   # big_bang counts as no strategy
  rollback_plan: How to go back to the previous version, and who decides.
  slo: {latency_p95_ms: 200, availability: 99.9}
  monitoring: {latency: true, drift: psi, quality: [roc_auc], alerts: {psi: 0.2}}
  retraining_trigger: When the model is retrained.
  on_call: ml-oncall
  post_launch_review_days: [30, 60, 90]
"""
