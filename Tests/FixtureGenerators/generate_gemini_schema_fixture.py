"""Writes Fixtures/gemini-schemas.json: for each schema of Fixtures/pydantic-schemas.json, the function
parameters Instructor 1.16 sends to Gemini in tools mode, as the google-genai SDK serializes them
(`map_to_genai_schema(schema)`, dumped by alias without empty members: types in capitals), or the error
Instructor raises for it.

Needs instructor 1.16, google-genai and jsonref. Run from the repository root:
    python3 Tests/FixtureGenerators/generate_gemini_schema_fixture.py
"""
import json
from pathlib import Path

import google.genai
import instructor
from instructor.v2.providers.gemini.utils import map_to_genai_schema

fixtures = Path(__file__).resolve().parent.parent / "StructuredCacheTests" / "Fixtures"
rows = []
for entry in json.loads((fixtures / "pydantic-schemas.json").read_text()):
    row = {"name": entry["name"], "schema": json.loads(entry["natural"])}
    try:
        schema = map_to_genai_schema(json.loads(entry["natural"]))
        row["parameters"] = schema.model_dump(mode="json", exclude_none=True, by_alias=True)
    except Exception as error:  # Instructor cannot convert this schema.
        row["instructorError"] = type(error).__name__
    rows.append(row)
out = fixtures / "gemini-schemas.json"
out.write_text(json.dumps(rows, indent=1, ensure_ascii=False) + "\n")
print(f"wrote {len(rows)} schemas to {out} (instructor {instructor.__version__}, google-genai {google.genai.__version__})")
