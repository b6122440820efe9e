"""The S3 evidence store against a real S3-compatible server (moto's, over HTTP): a file
bigger than one part goes up in multipart parts, comes back streamed with the same
SHA-256, an oversize upload leaves nothing behind, and deletion removes the object."""

from __future__ import annotations

import hashlib
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from moto.server import ThreadedMotoServer

from muster.config import EvidenceSettings, Settings
from muster.domain.compliance.evidence_store import (
    PART,
    S3EvidenceStore,
    evidence_store,
    hash_of,
)
from muster.errors import NotFound, TooLarge

CREDENTIALS = {"access_key": "testing", "secret_key": "testing", "region": "us-east-1"}


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


def _blocks(total: int, block: int = 1024 * 1024) -> Iterator[bytes]:
    for n in range(0, total, block):
        length = min(block, total - n)
        yield (hashlib.sha256(str(n).encode()).digest() * (length // 32 + 1))[:length]


def test_s3_round_trip_streams_in_parts(endpoint: str) -> None:
    settings = Settings(
        database_url="sqlite://", var_dir=Path("unused"), secret_key="x",
        evidence=EvidenceSettings(s3_endpoint_url=endpoint, s3_bucket="evidence",
                                  s3_prefix="muster/", s3_region="us-east-1",
                                  s3_access_key="testing", s3_secret_key="testing"),
    )  # fmt: skip
    store = evidence_store(settings)
    assert isinstance(store, S3EvidenceStore)
    store.client.create_bucket(Bucket="evidence")

    total = 2 * PART + 12345  # three parts
    expected, size = hash_of(_blocks(total))
    stored = store.put(_blocks(total), limit=total)
    assert (stored.sha256, stored.size) == (expected, size)
    head = store.client.head_object(Bucket="evidence", Key=f"muster/{stored.key}")
    assert head["ContentLength"] == total
    assert "-3" in head["ETag"]  # a multipart object of three parts
    assert hash_of(store.get(stored.key)) == (expected, total)

    small = store.put(iter([b"tiny"]), limit=10)
    assert b"".join(store.get(small.key)) == b"tiny"

    with pytest.raises(TooLarge):
        store.put(_blocks(total), limit=PART + 1)
    listed = store.client.list_objects_v2(Bucket="evidence")["Contents"]
    assert sorted(o["Key"] for o in listed) == sorted(
        [f"muster/{stored.key}", f"muster/{small.key}"])  # fmt: skip
    assert store.client.list_multipart_uploads(Bucket="evidence").get("Uploads", []) == []

    store.delete(stored.key)
    with pytest.raises(NotFound):
        store.get(stored.key)


def test_the_configured_store_passes_the_outbound_guard_and_nothing_else_does(
    endpoint: str,
) -> None:
    """The guard of user-supplied destinations (Apprise's urllib3) is process-wide; boto3
    connects through urllib3 too. The store an admin configured on a private address must
    still work while the guard refuses private addresses to everyone else."""
    import urllib3

    from muster.channels.http import Policy, guard_urllib3

    guard_urllib3(Policy())  # refuse every non-public address
    store = S3EvidenceStore.connect(bucket="guarded", endpoint_url=endpoint, **CREDENTIALS)
    store.client.create_bucket(Bucket="guarded")
    stored = store.put(iter([b"seized"]), limit=100)
    assert b"".join(store.get(stored.key)) == b"seized"
    with socket.socket() as s:  # another local port: still refused
        s.bind(("127.0.0.1", 0))
        other = s.getsockname()[1]
    with pytest.raises(urllib3.exceptions.HTTPError, match="non-public"):
        urllib3.PoolManager(retries=False).request("GET", f"http://127.0.0.1:{other}/")
