"""The bench's DynamoDB arithmetic: item sizes and capacity units as AWS documents them."""
from __future__ import annotations

from chorus.local.bench_listening import RequestCounter, item_bytes


def test_item_size_is_names_plus_values() -> None:
    assert item_bytes({"id": {"S": "abc"}}) == 2 + 3
    assert item_bytes({"n": {"N": "12345"}}) == 1 + 4  # numbers: one byte per two significant digits, plus one
    assert item_bytes({"n": {"N": "1000"}}) == 1 + 2  # trailing zeros are trimmed
    assert item_bytes({"ok": {"BOOL": True}, "none": {"NULL": True}}) == 2 + 1 + 4 + 1
    assert item_bytes({"m": {"M": {"k": {"S": "v"}}}}) == 1 + 3 + (1 + 1 + 1)


def test_writes_round_up_per_kilobyte_and_repeat_in_each_index() -> None:
    counter = RequestCounter({"T": 2})
    counter._units("PutItem", {"TableName": "T", "Item": {"text": {"S": "x" * 1500}}}, {})
    assert counter.write_units == 2 * 3  # 2 KB, written to the table and its two indexes
    counter._units("UpdateItem", {"TableName": "T"}, {})
    assert counter.write_units == 12  # an update is charged for the largest item put to that table


def test_reads_round_up_per_four_kilobytes_and_halve_when_eventually_consistent() -> None:
    counter = RequestCounter({})
    counter._units("GetItem", {"TableName": "T"}, {"Item": {"a": {"S": "x" * 5000}}})
    assert counter.read_units == 1.0  # 2 x 4 KB, eventually consistent
    counter._units("GetItem", {"TableName": "T", "ConsistentRead": True}, {})
    assert counter.read_units == 2.0  # a miss still costs one unit


def test_each_write_of_a_transaction_counts_twice() -> None:
    counter = RequestCounter({"M": 1})
    counter._units("TransactWriteItems", {"TransactItems": [
        {"Put": {"TableName": "M", "Item": {"id": {"S": "m1"}}}},
        {"Update": {"TableName": "S", "Key": {"id": {"S": "n"}}}},
    ]}, {})
    assert counter.write_units == 2 * 1 * 2 + 2 * 1 * 1  # the put in the table and its index; the update (1 KB assumed)
