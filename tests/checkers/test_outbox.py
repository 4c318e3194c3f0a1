"""The outbox checker on hand-written histories: each anomaly beside a near-identical clean
history, info transfers counted and never judged alone, and bad input refused."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from isolde import BadInput
from isolde.checkers import CheckConfig, default_checkers, make_checker, op_kinds
from isolde.histories import History, Op

from ..conftest import run_cli


def _value(tid: str) -> dict[str, Any]:
    n = int(tid[1:])
    return {"from": n % 3, "to": (n + 1) % 3, "amount": n + 1, "id": tid}


def _record(tid: str, **changes: Any) -> dict[str, Any]:
    return {**_value(tid), **changes}


def history(transfers: list[tuple[str, str | None]], records: list[dict[str, Any]],
            read_first: bool = False) -> History:
    """Transfers ``(id, outcome)`` one after another (outcome None: never completed), then a
    read-outbox returning ``records`` (with ``read_first``, the read begins before the last
    transfer completes)."""
    ops: list[Op] = []
    for p, (tid, outcome) in enumerate(transfers):
        v = _value(tid)
        ops.append(Op(0, 0, "invoke", p, "transfer", v, None, {"outbox": "txn"}))
        if outcome is not None:
            err = "insufficient-funds" if outcome == "fail" else None
            ops.append(Op(0, 0, outcome, p, "transfer", v, err, {"outbox": "txn"}))
    read = [Op(0, 0, "invoke", 99, "read-outbox", None), Op(0, 0, "ok", 99, "read-outbox",
                                                           records)]
    if read_first:
        ops = [*ops[:-1], read[0], ops[-1], read[1]]
    else:
        ops += read
    return History(op.with_(index=i, time=i * 10**6) for i, op in enumerate(ops))


def check(h: History) -> Any:
    return make_checker("outbox", CheckConfig()).check(h)


# (anomaly, transfers, records with the anomaly, records of a near-identical clean history)
CASES = [
    ("lost-outbox-record", [("t0", "ok"), ("t1", "ok")],
     [_record("t0")], [_record("t0"), _record("t1")]),
    ("phantom-outbox-record", [("t0", "ok"), ("t1", "fail")],
     [_record("t0"), _record("t1")], [_record("t0")]),
    ("phantom-outbox-record", [("t0", "ok")],
     [_record("t0"), _record("t7")], [_record("t0")]),
    ("duplicate-outbox-record", [("t0", "ok"), ("t1", "ok")],
     [_record("t0"), _record("t1"), _record("t1")], [_record("t0"), _record("t1")]),
    ("duplicate-outbox-record", [("t0", "ok"), ("t1", "info")],
     [_record("t0"), _record("t1"), _record("t1")], [_record("t0"), _record("t1")]),
    ("corrupt-outbox-record", [("t0", "ok"), ("t1", "ok")],
     [_record("t0"), _record("t1", amount=99)], [_record("t0"), _record("t1")]),
]


@pytest.mark.parametrize(("anomaly", "transfers", "bad", "good"), CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_each_anomaly_and_its_absence(anomaly: str, transfers: list, bad: list,
                                      good: list) -> None:
    r = check(history(transfers, bad))
    assert r.valid is False
    assert r.data["anomaly_counts"] == {anomaly: 1}
    a = r.anomalies[0]
    assert a.type == anomaly and a.ops and a.explanation and a.data["read"] >= 0
    ok = check(history(transfers, good))
    assert ok.valid is True and ok.anomalies == [] and ok.data["anomaly_counts"] == {}


def test_the_lost_record_names_the_transfer_and_the_read() -> None:
    h = history([("t0", "ok"), ("t1", "ok")], [_record("t0")])
    a = check(h).anomalies[0]
    assert a.ops == (2, 3) and a.data["id"] == "t1" and a.data["read"] == 5
    assert '"t1" (2 from 1 to 2) completed ok' in a.explanation
    assert "op 4" in a.explanation or "op 5" in a.explanation


def test_info_transfers_may_or_may_not_have_published() -> None:
    transfers = [("t0", "info"), ("t1", "info"), ("t2", None)]
    r = check(history(transfers, [_record("t1"), _record("t2")]))
    assert r.valid is True and r.anomalies == []
    assert r.data["info_published"] == 2 and r.data["info_unpublished"] == 1
    assert r.data["transfers"] == {"info": 3} and r.data["records"] == 2


def test_an_ok_transfer_completing_during_the_read_is_not_lost() -> None:
    transfers = [("t0", "ok"), ("t1", "ok")]
    r = check(history(transfers, [_record("t0")], read_first=True))
    assert r.valid is True and r.data["concurrent_with_read"] == 1
    # The same transfer completed before the read began: now it is lost.
    assert check(history(transfers, [_record("t0")])).valid is False


def test_no_read_of_the_outbox_is_unknown() -> None:
    h = history([("t0", "ok")], [])
    r = check(History(op for op in h if op.f != "read-outbox"))
    assert r.valid == "unknown" and "never read" in r.data["reason"]


def test_records_of_another_prefix_are_another_runs() -> None:
    # A soak's segments share the store: the read names the segment's id prefix ("t"), and
    # the records of other prefixes are counted, not judged.
    h = history([("t0", "ok")], [_record("t0"), {**_record("t0"), "id": "x0"}])
    ops = [op.with_(value="t") if op.f == "read-outbox" and op.is_invoke else op for op in h]
    r = check(History(ops))
    assert r.valid is True and r.data["records"] == 1 and r.data["other_records"] == 1
    assert check(h).data["anomaly_counts"] == {"phantom-outbox-record": 1}  # no prefix: all


def test_counts_are_true_beyond_the_listed_sample() -> None:
    transfers = [(f"t{i}", "ok") for i in range(30)]
    r = check(history(transfers, []))
    assert r.data["anomaly_counts"] == {"lost-outbox-record": 30}
    assert len(r.anomalies) == 20


def test_an_outbox_history_is_judged_by_bank_and_outbox() -> None:
    h = history([("t0", "ok")], [_record("t0")])
    assert op_kinds(h) == {"outbox"}
    assert default_checkers(h) == ["bank", "outbox", "stats"]


def _write(tmp_path: Path, h: History) -> Path:
    p = tmp_path / "h.jsonl"
    p.write_text("".join(json.dumps(op.to_dict()) + "\n" for op in h))
    return p


def test_check_cli_reports_the_anomaly_and_refuses_bad_records(tmp_path: Path) -> None:
    bad = _write(tmp_path, history([("t0", "ok"), ("t1", "fail")],
                                   [_record("t0"), _record("t1")]))
    r = run_cli("check", "--checker", "outbox", "--json", str(bad))
    assert r.returncode == 1, r.stderr
    assert json.loads(r.stdout)["anomaly_types"] == ["phantom-outbox-record"]
    for records in (["t0"], [{**_record("t0"), "id": ["t0"]}]):
        garbage = _write(tmp_path, history([("t0", "ok")], records))
        r = run_cli("check", "--checker", "outbox", str(garbage))
        assert r.returncode == 254 and "read-outbox's value must be a list" in r.stderr
        assert len(r.stderr.strip().splitlines()) == 1


def test_a_transfer_id_used_twice_or_not_a_scalar_is_bad_input() -> None:
    h = history([("t0", "ok"), ("t1", "ok")], [])
    twice = [op.with_(value={**op.value, "id": "t0"}) if op.f == "transfer" else op for op in h]
    with pytest.raises(BadInput, match="used twice"):
        check(History(twice))
    listed = [op.with_(value={**op.value, "id": ["t0"]}) if op.f == "transfer" else op
              for op in h]
    with pytest.raises(BadInput, match="must be a string or an integer"):
        check(History(listed))


def test_the_outbox_checker_refuses_a_plain_bank_history(tmp_path: Path) -> None:
    ops = [Op(0, 0, "invoke", 0, "transfer", {"from": 0, "to": 1, "amount": 2}),
           Op(1, 1, "ok", 0, "transfer", {"from": 0, "to": 1, "amount": 2})]
    r = run_cli("check", "--checker", "outbox", str(_write(tmp_path, History(ops))))
    assert r.returncode == 254 and "checker 'outbox' cannot judge bank ops" in r.stderr
