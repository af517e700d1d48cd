#!/usr/bin/env python3
"""Writes the seed corpus of the fuzz targets, and the interop package test data.

The packages are built here, independently of the Rust code, from the format
described in host/manifest/README.md: this doubles as a check that the format
can be implemented from its description. Needs Python 3.11+ and `cryptography`.

    python3 fuzz/make_seeds.py
"""

import hashlib
import json
import struct
import tomllib
from base64 import b64encode
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives import serialization

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "host/manifest/tests/data"
CORPUS = ROOT / "fuzz/corpus"
WASM = b"\0asm\x0d\x00\x01\x00" + bytes(range(32))

MINIMAL = """id = "queue"
version = "1.0.0"
wit = "0.1.0"
name = { zh = "排队叫号", en = "Queue calling" }
"""

EDGE = """id = "rating-keypad"
version = "0.3.1"
wit = "0.1.0"
world = "edge"
name = { zh = "评价器", en = "Rating keypad" }

[capabilities]
events-publish = ["rating.*.submitted"]

[[subscriptions]]
topic = "queue.ticket.called"

[[schedules]]
name = "heartbeat"
cron = "*/30 * * * * *"
timezone-offset-minutes = 0

[config]
schema = '{"type": "object", "properties": {"timeout_s": {"type": "integer", "minimum": 5, "default": 30}, "label": {"type": ["string", "null"], "default": null}}}'
"""


def canonical(manifest: dict) -> bytes:
    """Compact JSON, keys sorted (code point order equals UTF-8 byte order)."""
    return json.dumps(manifest, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def digest(manifest_bytes: bytes, wasm: bytes) -> bytes:
    h = hashlib.sha256(b"bantong-artefact-v1\n")
    h.update(struct.pack(">Q", len(manifest_bytes)) + manifest_bytes)
    h.update(struct.pack(">Q", len(wasm)) + wasm)
    return h.digest()


def section(tag: int, body: bytes) -> bytes:
    return struct.pack(">BI", tag, len(body)) + body


def package(manifest_bytes: bytes, wasm: bytes, key=None) -> bytes:
    out = b"BTPKG\0" + struct.pack(">H", 1) + section(1, manifest_bytes) + section(2, wasm)
    if key is not None:
        public = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        key_id = hashlib.sha256(public).digest()[:8]
        signature = key.sign(b"bantong-signature-v1\n" + digest(manifest_bytes, wasm))
        out += section(3, key_id + signature)
    return out


def public_line(key) -> str:
    public = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    key_id = hashlib.sha256(public).hexdigest()[:16]
    return f"bantong-ed25519-public-v1 {key_id} {b64encode(public).decode()}\n"


def main() -> None:
    example = (DATA / "example.toml").read_text()
    texts = {"example.toml": example, "minimal.toml": MINIMAL, "edge.toml": EDGE}
    manifest_dir = CORPUS / "manifest_parse"
    package_dir = CORPUS / "package_decode"
    manifest_dir.mkdir(parents=True, exist_ok=True)
    package_dir.mkdir(parents=True, exist_ok=True)

    # A fixed test key, so that running the script again changes nothing.
    key = Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"bantong fuzz seed key").digest())
    for name, text in texts.items():
        stem = name.removesuffix(".toml")
        (manifest_dir / name).write_text(text)
        parsed = tomllib.loads(text)
        (manifest_dir / f"{stem}.json").write_bytes(canonical(parsed))
        (package_dir / f"{stem}-unsigned.btpkg").write_bytes(package(canonical(parsed), WASM))
        (package_dir / f"{stem}-signed.btpkg").write_bytes(package(canonical(parsed), WASM, key))

    # Interop data for host/manifest/tests/interop.rs: a package signed here
    # and the trusted-keys file holding the signer's public key.
    example_bytes = canonical(tomllib.loads(example))
    (DATA / "interop.btpkg").write_bytes(package(example_bytes, WASM, key))
    (DATA / "interop.pub").write_text("# written by fuzz/make_seeds.py\n" + public_line(key))
    (DATA / "interop.digest").write_text("sha256:" + digest(example_bytes, WASM).hex() + "\n")


if __name__ == "__main__":
    main()
