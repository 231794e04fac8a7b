"""The kit's JSON schemas (autograder/schemas/), validated with their references to each other resolved: a shard's
result holds a report's submission (``report.schema.json#/$defs/submission``), the merge record a shard's
calibration."""

import functools
import json

import jsonschema
from referencing import Registry, Resource

from autograder.reports import SCHEMAS


@functools.cache
def _registry() -> Registry:
    schemas = {path.name: json.loads(path.read_text(encoding="utf-8")) for path in SCHEMAS.glob("*.schema.json")}
    for schema in schemas.values():
        jsonschema.Draft202012Validator.check_schema(schema)
    return Registry().with_resources((name, Resource.from_contents(schema)) for name, schema in schemas.items())


def load(name: str) -> dict:
    return _registry()[name].contents


def validate(document, name: str) -> None:
    """Raise ``jsonschema.ValidationError`` unless ``document`` follows the schema ``name`` (a file name)."""
    registry = _registry()
    validator = jsonschema.Draft202012Validator(registry[name].contents, registry=registry)
    validator.validate(document)
