"""Reports: diagnostics -> JSON or SARIF 2.1.0 text, for `statewright check --format`.

The text form is `diagnostics.render`. JSON is a list of `Diagnostic.to_dict()` objects
(docs/diagnostics.md). SARIF lets GitHub code scanning show findings on pull requests: one run,
the code table as rules, one result per diagnostic.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from ...codes import CODES
from ...diagnostics import Diagnostic, Severity

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
_HELP = "https://github.com/statewright/statewright/blob/main/docs/diagnostics.md"


def to_json(diagnostics: Sequence[Diagnostic]) -> str:
    return json.dumps([d.to_dict() for d in diagnostics], indent=2, ensure_ascii=False) + "\n"


def to_sarif(diagnostics: Sequence[Diagnostic], version: str) -> str:
    rules = list(CODES.values())
    index = {rule.code: position for position, rule in enumerate(rules)}
    document: dict[str, Any] = {
        "version": "2.1.0",
        "$schema": SARIF_SCHEMA,
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "statewright",
                        "version": version,
                        "informationUri": _HELP,
                        "rules": [
                            {
                                "id": rule.code,
                                "name": rule.name,
                                "shortDescription": {"text": rule.summary},
                                "helpUri": f"{_HELP}#{rule.code.lower()}",
                                "defaultConfiguration": {"level": _LEVEL[rule.severity]},
                            }
                            for rule in rules
                        ],
                    }
                },
                "results": [_result(d, index) for d in diagnostics],
            }
        ],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _result(diagnostic: Diagnostic, index: dict[str, int]) -> dict[str, Any]:
    span = diagnostic.span
    text = diagnostic.message + (f" ({diagnostic.hint})" if diagnostic.hint else "")
    result: dict[str, Any] = {
        "ruleId": diagnostic.code,
        "level": _LEVEL[diagnostic.severity],
        "message": {"text": text},
        "locations": [_location(span.file, span.line, span.column, span.end_line, span.end_column)],
    }
    if diagnostic.code in index:
        result["ruleIndex"] = index[diagnostic.code]
    if diagnostic.related:
        result["relatedLocations"] = [
            {
                "id": position,
                "message": {"text": r.message},
                **_location(
                    r.span.file, r.span.line, r.span.column, r.span.end_line, r.span.end_column
                ),
            }
            for position, r in enumerate(diagnostic.related)
        ]
    return result


def _location(file: str, line: int, column: int, end_line: int, end_column: int) -> dict[str, Any]:
    region: dict[str, int] = {"startLine": max(line, 1), "startColumn": max(column, 1)}
    if end_line >= line and end_column > 0 and (end_line, end_column) > (line, column):
        region["endLine"] = end_line
        region["endColumn"] = end_column
    return {
        "physicalLocation": {
            "artifactLocation": {"uri": file.replace("\\", "/")},
            "region": region,
        }
    }


_GITHUB_LEVEL = {"error": "error", "warning": "warning", "info": "notice"}


def to_github(diagnostics: Sequence[Diagnostic]) -> str:
    """GitHub Actions workflow commands: one `::error file=...,line=...::message` line per
    finding, which GitHub shows as an annotation on the line (escaped as the runner expects:
    `%`, CR and LF in messages; also `:` and `,` in properties)."""
    lines = []
    for diagnostic in diagnostics:
        found = diagnostic.to_dict()
        properties = {
            "file": found["file"],
            "line": found["line"],
            "col": found["column"],
            "endLine": found["end_line"],
            "endColumn": found["end_column"],
            "title": f"statewright {found['code']}",
        }
        shown = ",".join(
            f"{key}={_github_property(str(value))}"
            for key, value in properties.items()
            if value not in (None, 0, "")
        )
        message = str(found["message"]) + (f" ({found['hint']})" if found.get("hint") else "")
        level = _GITHUB_LEVEL.get(str(found["severity"]), "notice")
        lines.append(f"::{level} {shown}::{_github_data(message)}\n")
    return "".join(lines)


def _github_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _github_property(text: str) -> str:
    return _github_data(text).replace(":", "%3A").replace(",", "%2C")
