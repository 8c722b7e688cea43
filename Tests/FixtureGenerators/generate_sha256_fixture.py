"""Writes Fixtures/sha256-lengths.json: hashlib's SHA-256 of a fixed message at every length 0...300.

The message of length n is bytes((i * 31 + 7) & 0xFF for i in range(n)).
Run from the repository root:  python3 Tests/FixtureGenerators/generate_sha256_fixture.py
"""
import hashlib
import json
from pathlib import Path

digests = [hashlib.sha256(bytes((i * 31 + 7) & 0xFF for i in range(n))).hexdigest() for n in range(301)]
out = Path(__file__).resolve().parent.parent / "StructuredCacheTests" / "Fixtures" / "sha256-lengths.json"
out.write_text(json.dumps({"message": "bytes((i * 31 + 7) & 0xFF for i in range(n))", "digests": digests}, indent=1) + "\n")
print(f"wrote {len(digests)} digests to {out}")
