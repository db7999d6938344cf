"""The scanner on the peers' own sample sets (tests/artifacts/peers, see its README).

Every sample is labelled in its set's MANIFEST.tsv. Malicious samples must fail
SEC.ARTIFACT_UNSAFE (verdict ``unsafe`` or ``unparseable``); benign models must not; an
archive that cannot be opened at all (password protected) fails closed with that reason; and
no scan may end in a Python error of the scanner's own. Nothing is loaded or unpickled.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from langgraph_gates.evidence import hdf5_reader
from langgraph_gates.evidence.artifact_scan import ArtifactScan, scan_artifact

CORPUS = Path(__file__).resolve().parent.parent / "artifacts" / "peers"
SETS = sorted(d.name for d in CORPUS.iterdir() if (d / "MANIFEST.tsv").is_file())
FAILING = ("unsafe", "unparseable")
# Exception names that would mean the scanner itself broke rather than judged the file.
_INTERNAL = ("TypeError", "AttributeError", "NameError", "KeyError", "IndexError", "Recursion")


def _manifest(name: str) -> list[tuple[str, str]]:
    lines = (CORPUS / name / "MANIFEST.tsv").read_text(encoding="utf-8").splitlines()[1:]
    return [(line.split("\t")[0], line.split("\t")[1]) for line in lines]


def _scans(name: str) -> list[tuple[str, str, ArtifactScan]]:
    return [(rel, label, scan_artifact(CORPUS / name / rel)) for rel, label in _manifest(name)]


def test_every_set_is_there() -> None:
    assert {"picklescan", "modelscan", "fickling", "benign-models"} <= set(SETS)
    labels = {label for name in SETS for _, label in _manifest(name)}
    assert {"malicious", "benign"} <= labels


@pytest.mark.parametrize("name", SETS)
def test_peer_sample_set(name: str) -> None:
    missed, false_alarms, broken = [], [], []
    for rel, label, scan in _scans(name):
        if label == "malicious" and scan.verdict not in FAILING:
            missed.append(f"{rel}: {scan.verdict} ({scan.format})")
        if label == "benign" and scan.verdict in FAILING:
            false_alarms.append(f"{rel}: {scan.verdict} {scan.blocked[:2]} {scan.problems[:1]}")
        if label == "benign-encrypted":
            assert scan.verdict == "unparseable", rel
            assert any("encrypted" in p for p in scan.problems), scan.problems
        if any(word in p for p in scan.problems for word in _INTERNAL):
            broken.append(f"{rel}: {scan.problems}")
    assert not missed, missed
    assert not false_alarms, false_alarms
    assert not broken, broken


def test_the_frame_divergence_case_is_in_the_fickling_set() -> None:
    names = [rel for rel, _ in _manifest("fickling") if rel.startswith("test_frame_boundary")]
    assert names
    for rel in names:
        scan = scan_artifact(CORPUS / "fickling" / rel)
        assert scan.verdict in FAILING
        assert any("FRAME" in p for p in scan.problems) or scan.blocked, rel


def _mutate(data: bytes, rng: random.Random) -> bytes:
    out = bytearray(data)
    choice = rng.random()
    if choice < 0.4 and out:
        for _ in range(rng.randint(1, 8)):
            out[rng.randrange(len(out))] = rng.randrange(256)
    elif choice < 0.7 and out:
        del out[rng.randrange(len(out)) :]
    else:
        at = rng.randrange(len(out) + 1)
        out[at:at] = rng.randbytes(rng.randint(1, 16))
    return bytes(out)


def test_mutated_samples_never_break_the_scanner(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Corrupted copies of the samples: every scan ends in a verdict, never in an exception
    or an error of the scanner's own (HDF5 reads are bounded by a short timeout here)."""
    monkeypatch.setattr(hdf5_reader, "TIMEOUT_S", 5.0)
    rng = random.Random(12)
    files = sorted(
        p
        for p in CORPUS.rglob("*")
        if p.is_file()
        and p.name not in ("MANIFEST.tsv", "LICENSE", "README.md")
        and p.stat().st_size < 300_000
    )
    broken = []
    for _ in range(600):
        src = rng.choice(files)
        target = tmp_path / src.name
        target.write_bytes(_mutate(src.read_bytes(), rng))
        scan = scan_artifact(target)  # raising fails the test
        own = [p for p in scan.problems if "HDF5" not in p and any(w in p for w in _INTERNAL)]
        if own:
            broken.append((src.name, own))
    assert not broken, broken[:5]
