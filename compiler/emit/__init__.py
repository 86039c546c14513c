"""Emitters: one module per output format, each `emit(chart, options) -> str | bytes`.

`formats.FORMATS` names them (a format's module and function); `pipeline.emitter` finds one.
Emitters read the IR only: they never import a reader, and they never iterate over sets, so
their output is the same from run to run.
"""
