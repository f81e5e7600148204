"""`chorus classify`: JSON lines in, one answer per line out, in order, bad lines answered with an error."""
import io
import json

from chorus.listening.classify.cli import run
from chorus.local.cli import main


def classify_lines(*lines: str) -> tuple[int, list[dict], str]:
    stdout, stderr = io.StringIO(), io.StringIO()
    code = run(io.StringIO("".join(line + "\n" for line in lines)), stdout, stderr)
    return code, [json.loads(line) for line in stdout.getvalue().splitlines()], stderr.getvalue()


def test_answers_in_input_order_with_ids_preserved():
    code, answers, stderr = classify_lines(
        json.dumps({"id": "b-2", "text": "Waarom is mijn pakket nog steeds niet bezorgd?!"}),
        json.dumps({"id": 17, "text": "Thanks for the quick help!"}),
        json.dumps({"id": None, "text": ""}),
    )

    assert code == 0 and stderr == ""
    assert [answer["id"] for answer in answers] == ["b-2", 17, None]
    assert all(set(answer) == {"id", "intent", "sentiment", "language", "detected_language",
                                    "complaint_score"} for answer in answers)
    assert [answer["language"] for answer in answers[:2]] == ["nl", "en"]


def test_bad_lines_get_an_error_in_place_and_exit_code_1():
    code, answers, stderr = classify_lines(
        json.dumps({"id": 1, "text": "Top geholpen!"}),
        "{not json",
        json.dumps({"id": 3}),
        json.dumps({"id": 4, "text": 42}),
        json.dumps(["a list"]),
        json.dumps({"id": 6, "text": "Where is my order?"}),
    )

    assert code == 1
    assert [answer["id"] for answer in answers] == [1, None, 3, 4, None, 6]
    assert "intent" in answers[0] and "intent" in answers[5]
    assert [("error" in answer) for answer in answers] == [False, True, True, True, True, False]
    assert "line 2" in answers[1]["error"] and "not JSON" in answers[1]["error"]
    assert "line 3" in answers[2]["error"] and "text" in answers[2]["error"]
    for number in (2, 3, 4, 5):
        assert f"line {number}:" in stderr


def test_blank_lines_are_skipped_but_still_counted():
    code, answers, stderr = classify_lines("", json.dumps({"id": 1, "text": "hoi"}), "   ", "oops")

    assert code == 1
    assert [answer["id"] for answer in answers] == [1, None]
    assert "line 4" in stderr


def test_streams_each_answer_before_reading_the_next_line():
    seen_before_next_read = []
    stdout = io.StringIO()

    def lines():
        yield json.dumps({"id": 1, "text": "Storing bij jullie?"}) + "\n"
        seen_before_next_read.append(stdout.getvalue())
        yield json.dumps({"id": 2, "text": "Opgelost, dank!"}) + "\n"

    assert run(lines(), stdout, io.StringIO()) == 0
    assert json.loads(seen_before_next_read[0])["id"] == 1


def test_chorus_classify_subcommand(monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps({"id": "x", "text": "Thanks!"}) + "\n"))

    assert main(["classify"]) == 0
    assert json.loads(capsys.readouterr().out)["id"] == "x"
