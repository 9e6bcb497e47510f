import json

from zhtj.handlers.workers import processor_for, uploaded_objects


def _notification(key: str, event: str = "ObjectCreated:Post") -> str:
    return json.dumps({"Records": [{"eventName": event, "s3": {"bucket": {"name": "b"},
                                                               "object": {"key": key, "size": 3}}}]})


def test_test_event_names_no_object() -> None:
    assert list(uploaded_objects(json.dumps({"Event": "s3:TestEvent", "Service": "Amazon S3"}))) == []


def test_keys_arrive_url_encoded() -> None:
    (obj,) = uploaded_objects(_notification("uploads/imports/%E5%9B%A2+a.xlsx"))
    assert obj.key == "uploads/imports/团 a.xlsx" and obj.size == 3


def test_only_object_created_events_count() -> None:
    assert list(uploaded_objects(_notification("uploads/x", event="ObjectRemoved:Delete"))) == []


def test_longest_prefix_wins() -> None:
    table = {"uploads/": "json:dumps", "uploads/imports/": "json:loads"}
    assert processor_for("uploads/imports/x", table) is json.loads
    assert processor_for("uploads/other", table) is json.dumps
    assert processor_for("archives/x", table) is None
