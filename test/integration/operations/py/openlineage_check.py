"""Checks OpenLineage events with the official OpenLineage Python client (openlineage-python).

Each event (one JSON document per line on stdin) is built into the client's own classes, which
are generated from the published OpenLineage JSON schema: every key must be a field of its class
(no unknown key, no missing required one), enums and validators apply (eventType, eventTime,
runId), each facet must be the class of its key and carry that class's own schema URL, and the
client's serialisation of the result must give back the event exactly. Prints one JSON line per
event: {"ok": true} or {"ok": false, "error": "..."}.
"""
import enum
import json
import sys
import typing
import uuid

import attrs
from openlineage.client import event_v2
from openlineage.client.generated import (
    error_message_run,
    job_type_job,
    output_statistics_output_dataset,
    parent_run,
    schema_dataset,
)
from openlineage.client.serde import Serde

FACETS = {
    ("run", "parent"): parent_run.ParentRunFacet,
    ("run", "errorMessage"): error_message_run.ErrorMessageRunFacet,
    ("job", "jobType"): job_type_job.JobTypeJobFacet,
    ("dataset", "schema"): schema_dataset.SchemaDatasetFacet,
    ("output", "outputStatistics"): output_statistics_output_dataset.OutputStatisticsOutputDatasetFacet,
}


def field_type(cls, name, annotation):
    """A field's type, its string annotation evaluated in the module of the class declaring it."""
    if not isinstance(annotation, str):
        return annotation
    for owner in cls.__mro__:
        if name in getattr(owner, "__annotations__", {}):
            return eval(annotation, vars(sys.modules[owner.__module__]))  # noqa: S307 - the client's own annotations
    raise ValueError(f"{cls.__name__}.{name}: no annotation")


def build(cls, data, where):
    """Builds attrs class `cls` from dict `data`, strictly."""
    if not isinstance(data, dict):
        raise ValueError(f"{where}: expected an object for {cls.__name__}, got {type(data).__name__}")
    fields = {f.name: f for f in attrs.fields(cls)}
    hints = {name: field_type(cls, name, f.type) for name, f in fields.items()}
    kwargs = {}
    for key, value in data.items():
        field = fields.get(key)
        if field is None:
            raise ValueError(f"{where}: {cls.__name__} has no field {key!r}")
        if not field.init:
            continue  # set by the class itself (schema URLs), compared by the round trip
        kwargs[field.alias] = convert(hints[key], value, f"{where}.{key}", key)
    for name, field in fields.items():
        if field.init and field.default is attrs.NOTHING and name not in data:
            raise ValueError(f"{where}: {cls.__name__} needs {name!r}")
    return cls(**kwargs)


def convert(hint, value, where, key):
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin is typing.Union or type(hint).__name__ == "UnionType":
        if value is None and type(None) in args:
            return None
        (inner,) = [a for a in args if a is not type(None)]
        return convert(inner, value, where, key)
    if origin is list:
        if not isinstance(value, list):
            raise ValueError(f"{where}: expected a list")
        return [convert(args[0], v, f"{where}[{i}]", key) for i, v in enumerate(value)]
    if origin is dict:
        if not isinstance(value, dict):
            raise ValueError(f"{where}: expected an object")
        kind = {"RunFacet": "run", "JobFacet": "job", "DatasetFacet": "dataset", "OutputDatasetFacet": "output"}.get(
            getattr(args[1], "__name__", ""), None
        )
        out = {}
        for k, v in value.items():
            cls = FACETS.get((kind, k))
            if cls is None:
                raise ValueError(f"{where}: no facet {k!r} of kind {kind}")
            out[k] = build(cls, v, f"{where}.{k}")
        return out
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return hint(value)
    if attrs.has(hint):
        return build(hint, value, where)
    if hint in (str, int, float, bool):
        if not isinstance(value, hint) or (hint is int and isinstance(value, bool)):
            raise ValueError(f"{where}: expected {hint.__name__}, got {value!r}")
        return value
    return value


def same(sent, client):
    """Equal, except that the client may add its defaults (empty lists, objects, null) we left out."""
    if isinstance(sent, dict) and isinstance(client, dict):
        return all(k in client and same(v, client[k]) for k, v in sent.items()) and all(
            k in sent or client[k] in ([], {}, None) for k in client
        )
    if isinstance(sent, list) and isinstance(client, list):
        return len(sent) == len(client) and all(same(a, b) for a, b in zip(sent, client))
    return sent == client


for line in sys.stdin:
    if not line.strip():
        continue
    try:
        event = json.loads(line)
        built = build(event_v2.RunEvent, event, "event")
        uuid.UUID(built.run.runId)
        again = json.loads(Serde.to_json(built))
        if not same(event, again):
            raise ValueError(
                "the client's serialisation differs (a field the schema does not have, or another schema URL): " + json.dumps({"sent": event, "client": again}, sort_keys=True)
            )
        print(json.dumps({"ok": True}))
    except Exception as e:  # noqa: BLE001 - every failure is reported per event
        print(json.dumps({"ok": False, "error": f"{type(e).__name__}: {e}"}))
