"""Validates OpenLineage JobEvents with OpenLineage's own Python client.

Usage: validate.py PATH...   (a .json file holding one event, a file with one event
a line, or a folder searched for *.json)

openlineage-python ships no JSON Schemas and no validator, only the spec's classes
(generated from the schemas, with their validators). So each event is rebuilt from
its JSON into those classes, strictly:
- every object becomes the class the spec gives it: the event `JobEvent`, datasets
  `InputDataset`/`OutputDataset`, each facet the class whose `_schemaURL` it names
  (one of the client's generated facets, and of the kind its place takes: a job
  facet under `job.facets` …);
- an unknown key, a missing required key, a value of the wrong JSON type, an unknown
  facet schema or a failing validator of the client (eventTime, schemaURL…) is an
  error;
- the rebuilt event, serialised by the client (`Serde.to_dict`), must equal the JSON:
  nothing was dropped or changed on the way;
- and what the classes cannot say: transformation types and subtypes are the spec's,
  every column-lineage input is one of the event's datasets, every column with
  lineage is in the output's schema facet when it has one.
Prints `N passed, N failed`; exits 1 on any failure.
"""

from __future__ import annotations

import enum
import importlib
import json
import pkgutil
import sys
import types
import typing
from pathlib import Path

import attr
from openlineage.client import event_v2
from openlineage.client.generated import base
from openlineage.client.serde import Serde

DIRECT = {"IDENTITY", "TRANSFORMATION", "AGGREGATION"}
INDIRECT = {"JOIN", "GROUP_BY", "FILTER", "SORT", "WINDOW", "CONDITIONAL"}


def facet_classes() -> dict[str, type]:
    """Every facet class of the client, by the schema URL it writes."""
    import openlineage.client.generated as generated

    found = {}
    for module in pkgutil.iter_modules(generated.__path__):
        loaded = importlib.import_module(f"openlineage.client.generated.{module.name}")
        for value in vars(loaded).values():
            if isinstance(value, type) and issubclass(value, base.BaseFacet) and attr.has(value):
                found.setdefault(value._get_schema(), value)
    return found


FACETS = facet_classes()


class Invalid(Exception):
    pass


def hints(cls: type) -> dict[str, typing.Any]:
    """The type of each attrs field, its (string) annotation evaluated where written."""
    found = {}
    for field in attr.fields(cls):
        annotation = field.type
        if isinstance(annotation, str):
            owner = next((c for c in cls.__mro__ if field.name in getattr(c, "__annotations__", {})), cls)
            scope = {**vars(base), **vars(sys.modules[owner.__module__])}
            annotation = eval(annotation, scope)  # noqa: S307 - the client's own annotations
        found[field.name] = annotation
    return found


def build(expected: typing.Any, value: typing.Any, where: str) -> typing.Any:
    """`value` (parsed JSON) as an instance of `expected` (a type hint)."""
    origin = typing.get_origin(expected)
    if origin in (typing.Union, types.UnionType):
        options = [o for o in typing.get_args(expected) if o is not type(None)]
        if value is None:
            return None
        if len(options) != 1:
            raise Invalid(f"{where}: cannot choose among {options}")
        return build(options[0], value, where)
    if origin is list:
        if not isinstance(value, list):
            raise Invalid(f"{where}: a list expected, got {type(value).__name__}")
        (item,) = typing.get_args(expected)
        return [build(item, v, f"{where}[{i}]") for i, v in enumerate(value)]
    if origin is dict:
        if not isinstance(value, dict):
            raise Invalid(f"{where}: an object expected, got {type(value).__name__}")
        _, item = typing.get_args(expected)
        return {k: build(item, v, f"{where}.{k}") for k, v in value.items()}
    if expected is typing.Any:
        return value
    if isinstance(expected, type) and issubclass(expected, enum.Enum):
        try:
            return expected(value)
        except ValueError as error:
            raise Invalid(f"{where}: {error}") from error
    if expected in (str, int, bool, float):
        ok = isinstance(value, expected) and not (expected is int and isinstance(value, bool))
        if not ok:
            raise Invalid(f"{where}: a {expected.__name__} expected, got {value!r}")
        return value
    if isinstance(expected, type) and attr.has(expected):
        return build_attrs(expected, value, where)
    raise Invalid(f"{where}: no rule for {expected!r}")


def build_attrs(cls: type, value: typing.Any, where: str) -> typing.Any:
    if not isinstance(value, dict):
        raise Invalid(f"{where}: an object expected for {cls.__name__}")
    if issubclass(cls, base.BaseFacet):
        url = value.get("_schemaURL")
        facet = FACETS.get(url)
        if facet is None:
            raise Invalid(f"{where}: no facet of the client has the schema {url!r}")
        if not issubclass(facet, cls):
            raise Invalid(f"{where}: {facet.__name__} is not a {cls.__name__}")
        cls = facet
    types_of = hints(cls)
    # Fields the class sets itself (an event's `schemaURL`) are known keys, not
    # arguments: the round trip checks their value.
    fields = {f.name: f for f in attr.fields(cls) if f.init}
    unknown = sorted(set(value) - {f.name for f in attr.fields(cls)})
    if unknown:
        raise Invalid(f"{where}: unknown keys {unknown} for {cls.__name__}")
    arguments = {}
    for name, field in fields.items():
        if name not in value:
            if field.default is attr.NOTHING:
                raise Invalid(f"{where}: {cls.__name__} needs `{name}`")
            continue
        arguments[field.alias] = build(types_of[name], value[name], f"{where}.{name}")
    try:
        return cls(**arguments)
    except (TypeError, ValueError) as error:
        raise Invalid(f"{where}: {cls.__name__}: {error}") from error


def prune(value: typing.Any) -> typing.Any:
    """The JSON without empty objects and lists, which the client's serialiser drops."""
    if isinstance(value, dict):
        pruned = {k: prune(v) for k, v in value.items()}
        return {k: v for k, v in pruned.items() if v not in ({}, [], None)}
    if isinstance(value, list):
        return [prune(v) for v in value]
    return value


def semantic_problems(event: dict) -> list[str]:
    problems = []
    datasets = {(d["namespace"], d["name"]) for d in event.get("inputs", []) + event.get("outputs", [])}
    for output in event.get("outputs", []):
        facets = output.get("facets", {})
        lineage = facets.get("columnLineage")
        if not lineage:
            continue
        schema = {f["name"] for f in facets.get("schema", {}).get("fields", [])}
        inputs = [(name, i) for name, f in lineage["fields"].items() for i in f["inputFields"]]
        inputs += [("<dataset>", i) for i in lineage.get("dataset", [])]
        for column, field in inputs:
            if (field["namespace"], field["name"]) not in datasets:
                problems.append(f"{output['name']}.{column}: input {field['name']} is not a dataset of the event")
            for t in field.get("transformations", []):
                allowed = DIRECT if t["type"] == "DIRECT" else INDIRECT if t["type"] == "INDIRECT" else set()
                if t.get("subtype") not in allowed:
                    problems.append(f"{output['name']}.{column}: transformation {t}")
                if column == "<dataset>" and t["type"] != "INDIRECT":
                    problems.append(f"{output['name']}: a DIRECT transformation in `dataset`")
        if schema:
            missing = sorted(set(lineage["fields"]) - schema)
            if missing:
                problems.append(f"{output['name']}: columns with lineage but not in the schema: {missing}")
    return problems


def validate(text: str, where: str) -> list[str]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        return [f"{where}: not JSON: {error}"]
    if data.get("schemaURL") != event_v2.JobEvent._get_schema():
        return [f"{where}: schemaURL {data.get('schemaURL')!r} is not JobEvent's"]
    try:
        event = build_attrs(event_v2.JobEvent, data, where)
    except Invalid as error:
        return [str(error)]
    again = Serde.to_dict(event)
    if prune(again) != prune(data):
        return [f"{where}: the client serialises it differently:\n{json.dumps(again, sort_keys=True)}"]
    return [f"{where}: {p}" for p in semantic_problems(data)]


def events(path: Path):
    files = sorted(path.rglob("*.json")) if path.is_dir() else [path]
    for file in files:
        text = file.read_text(encoding="utf-8")
        stripped = text.strip()
        if stripped.startswith("{") and "\n{" not in stripped:
            yield str(file), stripped
        else:
            for number, line in enumerate(stripped.splitlines(), 1):
                if line.strip():
                    yield f"{file}:{number}", line


def main() -> int:
    passed, failed = 0, 0
    for argument in sys.argv[1:]:
        for where, text in events(Path(argument)):
            problems = validate(text, where)
            if problems:
                failed += 1
                for problem in problems:
                    print(f"invalid: {problem}")
            else:
                passed += 1
    print(f"{passed} passed, {failed} failed")
    return 1 if failed or not passed else 0


if __name__ == "__main__":
    sys.exit(main())
