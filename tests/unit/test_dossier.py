"""Loading the dossier: valid files, and one clear line for each kind of bad file."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from langgraph_gates.dossier import Dossier, load_dossier, validate_dossier
from langgraph_gates.errors import DossierError

from ..conftest import EXAMPLES


def _write(tmp_path: Path, text: str, name: str = "dossier.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_examples_load() -> None:
    loaded = load_dossier(EXAMPLES / "churn" / "dossier.yaml")
    assert loaded.dossier.model.name == "churn-predictor"
    assert loaded.base_dir == str((EXAMPLES / "churn").resolve())
    assert loaded.dossier.problem.success_criteria[0].metric == "roc_auc"


def test_json_dossier(tmp_path: Path) -> None:
    path = _write(tmp_path, json.dumps({"model": {"name": "m", "task": "regression"}}), "d.json")
    assert load_dossier(path).dossier.model.task == "regression"


def test_every_section_optional(tmp_path: Path) -> None:
    assert load_dossier(_write(tmp_path, "description: just words\n")).dossier == Dossier(
        description="just words"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("model: [unclosed\n", "not valid YAML/JSON at line"),
        ("", "empty"),
        ("- a\n- b\n", "must be a mapping"),
        ("model:\n  task: telepathy\n", "model.task"),
        ("problem:\n  kpis: lots\n", "problem.kpis"),
        ("data:\n  sensitive_attributes: 7\n", "data.sensitive_attributes"),
        ("problem:\n  kpis:\n    - {name: x, baseline: high}\n", "problem.kpis[0].baseline"),
        ("deployment:\n  post_launch_review_days: [thirty]\n", "deployment.post_launch_review_days[0]"),
        ("data:\n  sources:\n    - {name: a, refreshed: not-a-date}\n", "data.sources[0].refreshed"),
    ],
)
def test_bad_dossier_one_line(tmp_path: Path, text: str, expected: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(DossierError) as exc:
        load_dossier(path)
    line = exc.value.one_line()
    assert expected in line
    assert str(path) in line
    assert "\n" not in line


def test_unknown_task_lists_choices(tmp_path: Path) -> None:
    with pytest.raises(DossierError, match="binary_classification") as exc:
        load_dossier(_write(tmp_path, "model: {task: telepathy}\n"))
    assert "'telepathy'" in exc.value.one_line()


def test_missing_and_binary_files(tmp_path: Path) -> None:
    with pytest.raises(DossierError, match="not found"):
        load_dossier(tmp_path / "absent.yaml")
    (tmp_path / "bin.yaml").write_bytes(b"\x00\x89PNG\r\n")
    with pytest.raises(DossierError, match="binary"):
        load_dossier(tmp_path / "bin.yaml")
    with pytest.raises(DossierError, match="folder"):
        load_dossier(tmp_path)


def test_alias_bomb_refused(tmp_path: Path) -> None:
    lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]']
    for i in range(1, 10):
        prev = chr(ord("a") + i - 1)
        cur = chr(ord("a") + i)
        lines.append(f"{cur}: &{cur} [" + ",".join([f"*{prev}"] * 9) + "]")
    with pytest.raises(DossierError, match="alias"):
        load_dossier(_write(tmp_path, "\n".join(lines) + "\n"))


def test_deep_nesting_refused(tmp_path: Path) -> None:
    with pytest.raises(DossierError, match="nesting"):
        load_dossier(_write(tmp_path, "description: " + "[" * 200 + "]" * 200 + "\n"))


@pytest.mark.parametrize("value", ["../outside.csv", "/etc/passwd", "data/../../x.csv"])
def test_paths_may_not_leave_the_folder(tmp_path: Path, value: str) -> None:
    folder = tmp_path / "d"
    folder.mkdir()
    path = _write(folder, f"data:\n  train: {value}\n")
    with pytest.raises(DossierError, match="leaves the dossier's folder") as exc:
        load_dossier(path)
    assert "data.train" in exc.value.one_line()


def test_symlink_escape_refused(tmp_path: Path) -> None:
    folder = tmp_path / "d"
    folder.mkdir()
    (tmp_path / "secret.csv").write_text("a\n1\n")
    os.symlink(tmp_path / "secret.csv", folder / "train.csv")
    with pytest.raises(DossierError, match="leaves"):
        load_dossier(_write(folder, "data:\n  train: train.csv\n"))


def test_outside_paths_allowed_explicitly(tmp_path: Path) -> None:
    folder = tmp_path / "d"
    folder.mkdir()
    path = _write(folder, "data:\n  train: ../outside.csv\n")
    assert load_dossier(path, allow_outside=True).dossier.data.train == "../outside.csv"


def test_missing_evidence_file_is_not_a_load_error(tmp_path: Path) -> None:
    path = _write(tmp_path, "data:\n  train: data/absent.parquet\n")
    assert load_dossier(path).dossier.data.train == "data/absent.parquet"


def test_validate_mapping_errors() -> None:
    with pytest.raises(DossierError, match="empty"):
        validate_dossier(None)
    with pytest.raises(DossierError, match="mapping"):
        validate_dossier("text")  # type: ignore[arg-type]
