"""Where evidence bytes live: a directory by default, any S3-compatible store when
configured. Both stream: a file is written and read a chunk at a time, hashed while it
is written, so a multi-gigabyte disk image never sits in memory.

Each item gets its own key (never shared, unlike attachments' content addressing), so
removing one item's bytes cannot touch another's.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, NamedTuple, Protocol

from muster.config import Settings
from muster.errors import NotFound, TooLarge
from muster.ids import new_id
from muster.outbound import trust_endpoint

CHUNK = 1024 * 1024
PART = 8 * 1024 * 1024  # S3 multipart part size (the minimum is 5 MiB)
_KEY = re.compile(r"^[0-9A-Za-z-]{8,64}$")


class Stored(NamedTuple):
    key: str
    sha256: str
    size: int


class EvidenceStore(Protocol):
    def put(self, chunks: Iterable[bytes], *, limit: int, key: str | None = None) -> Stored:
        """Store everything ``chunks`` yields under a new key (or under ``key``, when a
        backup is restored); return it with the SHA-256 and size. More than ``limit``
        bytes: :class:`TooLarge`, nothing kept."""
        ...

    def get(self, key: str) -> Iterator[bytes]:
        """The bytes under ``key``, a chunk at a time (:class:`NotFound` if none)."""
        ...

    def delete(self, key: str) -> None:
        """Remove the bytes under ``key`` (nothing if already gone)."""
        ...


def too_large(limit: int) -> TooLarge:
    return TooLarge(f"evidence files may be at most {limit} bytes")


def hash_of(chunks: Iterable[bytes]) -> tuple[str, int]:
    """SHA-256 and size of a stream."""
    digest, size = hashlib.sha256(), 0
    for chunk in chunks:
        digest.update(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


def _check_key(key: str) -> str:
    if not _KEY.match(key):
        raise NotFound("no such stored evidence")
    return key


class FileEvidenceStore:
    """Files ``<root>/<key>``, written to a temporary file, flushed to disk and renamed
    into place, so a reader never sees half a file."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path_of(self, key: str) -> Path:
        return self.root / _check_key(key)

    def put(self, chunks: Iterable[bytes], *, limit: int, key: str | None = None) -> Stored:
        self.root.mkdir(parents=True, exist_ok=True)
        digest, size = hashlib.sha256(), 0
        key = _check_key(key) if key is not None else new_id()
        fd, temp_name = tempfile.mkstemp(dir=self.root, prefix=".upload-")
        temp = Path(temp_name)
        try:
            with os.fdopen(fd, "wb") as out:
                for chunk in chunks:
                    size += len(chunk)
                    if size > limit:
                        raise too_large(limit)
                    digest.update(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temp, self.path_of(key))
        finally:
            with contextlib.suppress(FileNotFoundError):
                temp.unlink()
        return Stored(key, digest.hexdigest(), size)

    def get(self, key: str) -> Iterator[bytes]:
        try:
            handle = self.path_of(key).open("rb")
        except FileNotFoundError:
            raise NotFound("the evidence file is missing from the store") from None
        return _read_chunks(handle)

    def delete(self, key: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path_of(key).unlink()


def _read_chunks(handle: Any) -> Iterator[bytes]:
    with handle:
        while chunk := handle.read(CHUNK):
            yield chunk


class S3EvidenceStore:
    """Objects ``<prefix><key>`` in a bucket of any S3-compatible store. Uploads go up in
    multipart parts of :data:`PART` bytes, so at most one part is held in memory."""

    def __init__(self, client: Any, bucket: str, prefix: str = "") -> None:
        self.client = client
        self.bucket = bucket
        self.prefix = prefix

    @classmethod
    def connect(
        cls,
        *,
        bucket: str,
        endpoint_url: str | None = None,
        region: str | None = None,
        access_key: str | None = None,
        secret_key: str | None = None,
        prefix: str = "",
    ) -> S3EvidenceStore:
        import boto3  # only installations using S3 pay for importing it

        if endpoint_url:
            trust_endpoint(endpoint_url)  # an admin's choice: not subject to the SSRF guard

        client = boto3.client(
            "s3", endpoint_url=endpoint_url, region_name=region,
            aws_access_key_id=access_key, aws_secret_access_key=secret_key,
        )  # fmt: skip
        return cls(client, bucket, prefix)

    def _name(self, key: str) -> str:
        return self.prefix + _check_key(key)

    def put(self, chunks: Iterable[bytes], *, limit: int, key: str | None = None) -> Stored:
        key = key if key is not None else new_id()
        name = self._name(key)
        digest, size = hashlib.sha256(), 0
        buffer = bytearray()
        upload_id: str | None = None
        parts: list[dict[str, Any]] = []
        try:
            for chunk in chunks:
                size += len(chunk)
                if size > limit:
                    raise too_large(limit)
                digest.update(chunk)
                buffer += chunk
                while len(buffer) >= PART:
                    if upload_id is None:
                        started = self.client.create_multipart_upload(Bucket=self.bucket, Key=name)
                        upload_id = started["UploadId"]
                    parts.append(self._part(name, upload_id, len(parts) + 1, bytes(buffer[:PART])))
                    del buffer[:PART]
            if upload_id is None:
                self.client.put_object(Bucket=self.bucket, Key=name, Body=bytes(buffer))
            else:
                if buffer:
                    parts.append(self._part(name, upload_id, len(parts) + 1, bytes(buffer)))
                self.client.complete_multipart_upload(
                    Bucket=self.bucket, Key=name, UploadId=upload_id,
                    MultipartUpload={"Parts": parts},
                )  # fmt: skip
                upload_id = None
        finally:
            if upload_id is not None:
                with contextlib.suppress(Exception):
                    self.client.abort_multipart_upload(
                        Bucket=self.bucket, Key=name, UploadId=upload_id
                    )
        return Stored(key, digest.hexdigest(), size)

    def _part(self, name: str, upload_id: str, number: int, body: bytes) -> dict[str, Any]:
        answer = self.client.upload_part(
            Bucket=self.bucket, Key=name, UploadId=upload_id, PartNumber=number, Body=body
        )
        return {"ETag": answer["ETag"], "PartNumber": number}

    def get(self, key: str) -> Iterator[bytes]:
        from botocore.exceptions import ClientError

        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=self._name(key))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                raise NotFound("the evidence file is missing from the store") from None
            raise
        body = answer["Body"]
        return _s3_chunks(body)

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._name(key))


def _s3_chunks(body: Any) -> Iterator[bytes]:
    try:
        yield from body.iter_chunks(CHUNK)
    finally:
        body.close()


def evidence_store(settings: Settings) -> EvidenceStore:
    """The configured store: the S3 bucket when one is set, else the directory
    (``<var>/evidence`` unless ``MUSTER_EVIDENCE_DIR`` names another)."""
    ev = settings.evidence
    if ev.s3_bucket:
        return S3EvidenceStore.connect(
            bucket=ev.s3_bucket, endpoint_url=ev.s3_endpoint_url, region=ev.s3_region,
            access_key=ev.s3_access_key, secret_key=ev.s3_secret_key, prefix=ev.s3_prefix,
        )  # fmt: skip
    return FileEvidenceStore(ev.dir or settings.var_dir / "evidence")
