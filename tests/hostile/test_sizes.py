"""Sizes are bytes (docs/security.md, "Sizes"): a value a guard or the statewright datamodel
makes is bounded by its JSON size, not its count of items, and a store refuses a record (event
data, the context a step made, a new instance) over its `record_limit` before anything is
written, on both stores."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from statewright.runtime import values
from statewright.runtime.datamodel import ContentError, Event
from statewright.runtime.datamodel.native import NativeDatamodel
from statewright.runtime.expr import GuardError, compile_guard
from statewright.runtime.store import RECORD_LIMIT, RecordTooLarge, StoredChart
from testkit import document

QUICK = settings(max_examples=40, deadline=None, derandomize=True, database=None)


def _guard(text: str, **names: Any) -> Any:
    return compile_guard(text)(lambda name: names[name], lambda state: False)


# -- guards and the statewright datamodel -----------------------------------------------------


def test_the_issues_example_is_refused_not_made() -> None:
    """`l * 100000` with `l` one 100,000-character string in a list: 100,000 items, 10 GB."""
    with pytest.raises(GuardError, match="bytes"):
        _guard("l * 100000", l=["x" * 100_000])


@pytest.mark.parametrize("extra", [0, 1], ids=["at-the-limit", "past-it"])
def test_a_repeated_list_is_bounded_in_bytes(extra: int) -> None:
    """A list of one 1,000-character string, repeated: each copy is 1,003 bytes as the bound
    counts it (quotes and a comma), so the limit falls between two counts."""
    times = (values.VALUE_LIMIT - 2) // 1003 + extra
    if extra:
        with pytest.raises(GuardError, match="bytes"):
            _guard(f"l * {times}", l=["x" * 1000])
    else:
        made = _guard(f"l * {times}", l=["x" * 1000])
        assert len(json.dumps(made, separators=(",", ":"))) <= values.VALUE_LIMIT


_TEXT = st.text(alphabet=st.sampled_from("aé€😀"), min_size=1, max_size=50)


@QUICK
@given(
    st.one_of(_TEXT.map(lambda t: t * 2000), st.lists(_TEXT, min_size=1, max_size=5)),
    st.integers(min_value=0, max_value=100_000),
    st.sampled_from(["*", "+"]),
)
def test_no_arithmetic_makes_a_value_over_the_limit(left: Any, times: int, op: str) -> None:
    """Strings and lists of any text (one to four bytes a character), repeated or joined:
    either refused, or the result is within the limit as JSON (UTF-8)."""
    text = f"left * {times}" if op == "*" else "left + left"
    try:
        made = _guard(text, left=left)
    except GuardError:
        return
    size = len(json.dumps(made, ensure_ascii=False, separators=(",", ":")).encode())
    assert size <= values.VALUE_LIMIT


class _Host:
    sessionid = "s"
    session_name = None

    def is_active(self, name: str) -> bool:
        return False


def test_the_statewright_datamodel_refuses_a_value_over_the_limit() -> None:
    model = NativeDatamodel(_Host(), {"total": None})
    model.bind_event(Event("go", {"l": ["x" * 100_000]}))
    with pytest.raises(ContentError, match="bytes"):
        model.assign("total", "_event.data.l * 100000")
    assert model.context == {"total": None}


# -- stores -------------------------------------------------------------------------------------

GROW = "small, big;\nsmall => big: grow / grow;\nbig => small: shrink;\n"


def _chart(size: int = 0) -> StoredChart:
    def grow(context: dict[str, Any], data: Any) -> None:
        context["blob"] = "x" * size

    return StoredChart(document(GROW), actions={"grow": grow}, chart_id="grow")


def _bytes(instance: Any) -> tuple[int, list[str], dict[str, Any]]:
    return instance.version, instance.configuration, dict(instance.context)


@pytest.mark.parametrize("extra", [0, 1], ids=["at-the-limit", "past-it"])
def test_event_data_over_the_record_limit_is_refused_before_anything_is_written(
    make: Any, extra: int  # noqa: F811 - the fixture
) -> None:
    store = make(record_limit=4096)
    with store.create("g", _chart()) as instance:
        before = _bytes(instance)
        fits = 4096 - len(json.dumps({"note": ""}, separators=(",", ":")))
        data = {"note": "x" * (fits + extra)}
        if extra:
            with pytest.raises(RecordTooLarge, match="event's data is over 4,096 bytes"):
                instance.send("grow", **data)
            assert _bytes(instance) == before
        else:  # the data fits; the whole record (ids, times, states) does not
            with pytest.raises(RecordTooLarge, match="the step is over"):
                instance.send("grow", **data)
    with store.open("g", _chart()) as again:
        assert _bytes(again) == before
        assert again.send("grow").version == before[0] + 1  # the instance goes on
    store.close()


def test_a_step_that_makes_a_context_over_the_limit_is_refused_and_undone(
    make: Any,  # noqa: F811 - the fixture
) -> None:
    store = make(record_limit=10_000)
    with store.create("g", _chart(20_000)) as instance:
        before = _bytes(instance)
        with pytest.raises(RecordTooLarge, match="the step is over 10,000 bytes"):
            instance.send("grow")
        assert _bytes(instance) == before  # reloaded: the hook's change is not kept
    with store.open("g", _chart(100)) as again:
        assert _bytes(again) == before
        assert again.send("grow").version == before[0] + 1
    store.close()


def test_a_new_instance_over_the_limit_is_not_made(make: Any) -> None:  # noqa: F811
    store = make(record_limit=10_000)
    with pytest.raises(RecordTooLarge, match="the new instance is over"):
        store.create("g", _chart(), context={"blob": "x" * 20_000})
    assert "g" not in store.ids()
    store.create("g", _chart(), context={"blob": "x" * 100}).close()
    store.close()


def test_the_default_limit_is_one_mebibyte(make: Any) -> None:  # noqa: F811
    store = make()
    assert RECORD_LIMIT == 1024 * 1024
    with store.create("g", _chart()) as instance:
        instance.send("grow", note="x" * (RECORD_LIMIT - 2000))
        with pytest.raises(RecordTooLarge):
            instance.send("shrink", note="x" * RECORD_LIMIT)
    store.close()


@settings(max_examples=25, deadline=None, derandomize=True, database=None)
@given(
    st.dictionaries(
        st.text(max_size=8),
        st.one_of(_TEXT.map(lambda t: t * 30), st.lists(st.integers(), max_size=300)),
        max_size=8,
    )
)
def test_any_event_data_is_either_kept_whole_or_refused_with_nothing_written(
    tmp_path_factory: pytest.TempPathFactory, data: dict[str, Any]
) -> None:
    from statewright.runtime.store import FileStore

    store = FileStore(tmp_path_factory.mktemp("sizes"), record_limit=2048)
    with store.create("g", _chart()) as instance:
        version = instance.version
        log = (store.folder("g") / "events.log").read_bytes()
        try:
            instance.send("grow", **{f"k{key!r}": value for key, value in data.items()})
        except RecordTooLarge:
            assert instance.version == version
            assert (store.folder("g") / "events.log").read_bytes() == log
            return
        last = (store.folder("g") / "events.log").read_bytes()[len(log) :]
        assert json.loads(last)["data"] == {f"k{key!r}": value for key, value in data.items()}
        assert len(last) <= 2048 + 200  # the bound counts JSON; the line adds its CRC
    store.close()
