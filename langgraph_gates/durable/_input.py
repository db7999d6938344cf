"""The start-up of a review: validate the dossier and policy, and build the graph's input."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from langgraph_gates.dossier import Dossier, check_paths, load_dossier, validate_dossier_unknown
from langgraph_gates.evidence.secrets import redact_dossier_secrets, redact_text
from langgraph_gates.policy import Policy, load_policy, policy_from_mapping
from langgraph_gates.state import UnknownName

__all__ = ["prepare_input"]


def _policy(policy: Policy | Mapping[str, Any] | str | Path | None) -> Policy:
    if policy is None or isinstance(policy, Policy):
        return policy or Policy()
    if isinstance(policy, Mapping):
        return policy_from_mapping(dict(policy))
    return load_policy(policy)


def prepare_input(
    dossier: str | Path | Mapping[str, Any] | Dossier | None = None,
    *,
    text: str | None = None,
    policy: Policy | Mapping[str, Any] | str | Path | None = None,
    base_dir: str | Path | None = None,
    as_of: str | None = None,
    allow_outside: bool = False,
    strict: bool = False,
) -> dict[str, Any]:
    """Validate the inputs up front and return the graph's input mapping.

    Fields the dossier format does not know are left out and listed under
    ``unknown_fields`` (each gate reports its own); ``strict`` refuses them instead.

    Validating here (not only in the dispatcher) means a bad dossier or policy fails before a
    review is started or checkpointed.

    Raises:
        DossierError: the dossier is invalid (or, ``strict``, has unknown fields).
        PolicyError: the policy is invalid.
    """
    payload: dict[str, Any] = {"policy": _policy(policy).model_dump(mode="json")}
    unknown: list[UnknownName] = []
    if isinstance(dossier, str | Path):
        loaded = load_dossier(dossier, allow_outside=allow_outside, strict=strict)
        unknown = loaded.unknown
        payload |= {
            "dossier_path": str(dossier),
            "dossier": redact_dossier_secrets(loaded.dossier.model_dump(mode="json"))[0],
            "base_dir": loaded.base_dir,
            "dossier_source": "file",
        }
    elif dossier is not None:
        valid, unknown = validate_dossier_unknown(
            dict(dossier) if isinstance(dossier, Mapping) else dossier, strict=strict
        )
        folder = str(Path(base_dir or Path.cwd()).resolve())
        check_paths(valid, folder, source="dossier", allow_outside=allow_outside)
        payload |= {
            "dossier": redact_dossier_secrets(valid.model_dump(mode="json"))[0],
            "base_dir": folder,
            "dossier_source": "mapping",
        }
    if text:
        # Redacted here, before the input is checkpointed (the dispatcher redacts again for
        # callers that invoke the graph directly).
        payload["text"] = redact_text(text)[0]
        if dossier is None:
            payload["base_dir"] = str(Path(base_dir or Path.cwd()).resolve())
    if as_of:
        payload["as_of"] = as_of
    if unknown:
        payload["unknown_fields"] = [u.model_dump(mode="json") for u in unknown]
    return payload
