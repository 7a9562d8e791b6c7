#!/usr/bin/env python3
"""Validate a frab schedule export against the official voc/schedule schemas.

usage: validate-frab.py SCHEMA_DIR schedule.json schedule.xml

Needs jsonschema and lxml. Exit 0 if both files are valid, 1 otherwise.
"""
import json
import os
import sys

from jsonschema import Draft6Validator, FormatChecker
from lxml import etree

JSON_SCHEMA, XML_SCHEMA = "schedule.schema.json", "schedule.xml.xsd"


def formats_in(node):
    """Every "format" the schema uses, to tell which ones go unchecked."""
    if isinstance(node, dict):
        found = {node["format"]} if isinstance(node.get("format"), str) else set()
        return found.union(*(formats_in(v) for v in node.values()))
    if isinstance(node, list):
        return set().union(*(formats_in(v) for v in node))
    return set()


def check_json(schema_dir, path):
    with open(os.path.join(schema_dir, JSON_SCHEMA)) as f:
        schema = json.load(f)
    try:
        with open(path) as f:
            doc = json.load(f)
    except ValueError as e:
        return [f"(parse) {e}"]
    # FormatChecker() rather than Draft6Validator.FORMAT_CHECKER: the draft-6
    # checker knows neither "date" nor "uuid", which the schema relies on.
    checker = FormatChecker()
    # jsonschema silently passes formats whose optional package is missing
    # ("uri" needs rfc3986-validator, "color" needs webcolors): say so.
    unchecked = sorted(formats_in(schema) - set(checker.checkers))
    if unchecked:
        print(f"note: formats not checked (package missing): {', '.join(unchecked)}",
              file=sys.stderr)
    validator = Draft6Validator(schema, format_checker=checker)
    errors = []
    for e in sorted(validator.iter_errors(doc), key=lambda e: list(map(str, e.path))):
        errors.append(f"{e.json_path}: {e.message}")
        # oneOf/anyOf failures (e.g. persons) only make sense with their branches.
        errors += [f"    {c.json_path}: {c.message}" for c in e.context]
    return errors


def check_xml(schema_dir, path):
    schema = etree.XMLSchema(etree.parse(os.path.join(schema_dir, XML_SCHEMA)))
    try:
        doc = etree.parse(path)
    except etree.XMLSyntaxError as e:
        return [f"(parse) {e}"]
    if schema.validate(doc):
        return []
    return [f"line {e.line}: {e.path}: {e.message}" for e in schema.error_log]


def main(argv):
    if len(argv) != 4:
        sys.exit(__doc__.strip())
    schema_dir, json_path, xml_path = argv[1:]
    ok = True
    for path, schema_name, check in ((json_path, JSON_SCHEMA, check_json),
                                     (xml_path, XML_SCHEMA, check_xml)):
        errors = check(schema_dir, path)
        name = os.path.basename(path)
        if errors:
            ok = False
            print(f"{name}: INVALID against {schema_name}")
            print("\n".join("  " + e for e in errors))
        else:
            print(f"{name}: valid against {schema_name}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
