"""Checks real responses against docs/openapi.yaml: every reply the integration
tests receive from a documented operation must have a documented status and a
body that validates against its schema; undocumented paths must still answer
with the Error shape."""
import os
import re

import jsonschema
import yaml

from helpers import ROOT

_doc = None
_ops = None


def _load():
    global _doc, _ops
    if _doc is None:
        with open(os.path.join(ROOT, "docs", "openapi.yaml"), encoding="utf-8") as f:
            _doc = yaml.safe_load(f)
        _ops = []
        for template, item in _doc["paths"].items():
            pattern = "^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$"
            _ops.append((re.compile(pattern), template, item))
    return _doc


def _validate(schema, value, where):
    doc = _load()
    resolver = jsonschema.RefResolver.from_schema(doc)
    validator = jsonschema.Draft202012Validator(schema, resolver=resolver)
    errors = sorted(validator.iter_errors(value), key=lambda e: list(e.path))
    if errors:
        e = errors[0]
        raise AssertionError("%s: response does not match docs/openapi.yaml at %s: %s\n%r" % (
            where, "/".join(str(p) for p in e.absolute_path), e.message, value))


def check(method, path, status, content_type, body_json, body_text):
    doc = _load()
    bare = path.split("?", 1)[0]
    where = "%s %s -> %d" % (method, bare, status)
    for pattern, template, item in _ops:
        if pattern.match(bare) and method.lower() in item:
            responses = item[method.lower()]["responses"]
            spec = responses.get(str(status)) or responses.get("default")
            if spec is None:
                raise AssertionError("%s: status %d is not documented for %s %s" % (where, status, method, template))
            if "$ref" in spec:
                spec = doc["components"]["responses"][spec["$ref"].rsplit("/", 1)[1]]
            content = spec.get("content", {})
            media = (content_type or "").split(";")[0].strip().lower()
            if content and media not in content:
                raise AssertionError("%s: content type %r is not documented (%s)" % (where, media, ", ".join(content)))
            if media == "application/json":
                if body_json is None:
                    raise AssertionError("%s: expected JSON, got %r" % (where, body_text[:200]))
                _validate(content["application/json"]["schema"], body_json, where)
            return
    if status >= 400 and method != "HEAD":
        if body_json is None:
            raise AssertionError("%s: an error must be JSON, got %r" % (where, body_text[:200]))
        _validate({"$ref": "#/components/schemas/Error"}, body_json, where)
