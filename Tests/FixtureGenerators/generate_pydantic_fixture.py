"""Writes Fixtures/pydantic-schemas.json from the blocks of pydantic-schema.md, running each Python
snippet with the installed pydantic and checking its output against the documented one.

For each block it records the documented `json.dumps(schema, sort_keys=True)` text and pydantic's
natural member order (`json.dumps(schema)`), which the JSON-mode prompt uses.

Run from the repository root:  python3 Tests/FixtureGenerators/generate_pydantic_fixture.py
"""
import json
import re
from pathlib import Path

import pydantic

here = Path(__file__).resolve().parent
text = (here / "pydantic-schema.md").read_text()
blocks = re.findall(r"#### (\S+)\n```python\n(.*?)```\n```json\n(.*?)\n```", text, re.S)
header = ("from typing import Optional, Literal, Union\nfrom enum import Enum, IntEnum\n"
          "from datetime import datetime, date\nfrom uuid import UUID\nfrom pydantic import BaseModel, Field\n")
rows = []
for name, source, documented in blocks:
    namespace = {}
    exec(header + source, namespace)
    last = re.findall(r"^class (\w+)\(BaseModel\)", source, re.M)[-1]
    schema = namespace[last].model_json_schema()
    produced = json.dumps(schema, sort_keys=True)
    if produced != documented:
        raise SystemExit(f"{name}: pydantic {pydantic.VERSION} writes {produced}, the document says {documented}")
    rows.append({"name": name, "python": source.strip(), "sorted": documented, "natural": json.dumps(schema)})
out = here.parent / "StructuredCacheTests" / "Fixtures" / "pydantic-schemas.json"
out.write_text(json.dumps(rows, indent=1) + "\n")
print(f"wrote {len(rows)} schemas to {out} (pydantic {pydantic.VERSION})")
