"""Evidence storage and retention settings from ``MUSTER_*`` variables: a directory
under the var directory by default, S3 when a bucket is named, retention off by default."""

from __future__ import annotations

from pathlib import Path

from muster.config import load_settings
from muster.domain.compliance.evidence_store import FileEvidenceStore, evidence_store


def test_defaults_and_overrides(tmp_path: Path) -> None:
    base = {"MUSTER_VAR_DIR": str(tmp_path), "MUSTER_SECRET_KEY": "k"}
    plain = load_settings(base)
    assert (plain.evidence.retention_days, plain.evidence.max_bytes) == (0, 50 * 1024**3)
    store = evidence_store(plain)
    assert isinstance(store, FileEvidenceStore)
    assert store.root == tmp_path / "evidence"

    custom = load_settings({
        **base, "MUSTER_EVIDENCE_DIR": str(tmp_path / "vault"), "MUSTER_RETENTION_DAYS": "365",
        "MUSTER_EVIDENCE_MAX_BYTES": "1000", "MUSTER_EVIDENCE_S3_BUCKET": "",
    })  # fmt: skip
    assert (custom.evidence.retention_days, custom.evidence.max_bytes) == (365, 1000)
    vault = evidence_store(custom)
    assert isinstance(vault, FileEvidenceStore)
    assert vault.root == tmp_path / "vault"

    s3 = load_settings({
        **base, "MUSTER_EVIDENCE_S3_BUCKET": "ev", "MUSTER_EVIDENCE_S3_ENDPOINT_URL":
        "http://127.0.0.1:9", "MUSTER_EVIDENCE_S3_PREFIX": "prod/",
        "MUSTER_EVIDENCE_S3_REGION": "eu-west-1",
    })  # fmt: skip
    bucket = evidence_store(s3)
    assert (type(bucket).__name__, getattr(bucket, "bucket", None)) == ("S3EvidenceStore", "ev")
    assert getattr(bucket, "prefix", None) == "prod/"
