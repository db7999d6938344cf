"""A minimal dossier file for the durable-review tests (reviews fast: no evidence files)."""

from __future__ import annotations

from pathlib import Path

import yaml


def write_small_dossier(folder: Path, name: str, version: str, objective: str, label: str) -> Path:
    """Write ``folder/dossier.yaml`` naming a model, an objective and a label; return its path."""
    folder.mkdir(parents=True)
    path = folder / "dossier.yaml"
    dossier = {
        "model": {"name": name, "version": version},
        "problem": {"objective": objective},
        "data": {"label": label},
    }
    path.write_text(yaml.safe_dump(dossier))
    return path
