"""The maskcore command's dataset commands: --help of each, exit codes (0 clean, 1 problems or failed
items, 2 usage errors and unreadable inputs), --json on stdout with nothing else there (progress
only on stderr), the demo on the sample and on the real data, check-coco as validate."""
import json
import sys
from pathlib import Path

import pytest

from maskcore import cli

from test_jobs import SAMPLE, _make_sample_module

COMMANDS = ["demo", "validate", "check-coco", "convert", "eval", "compare", "render", "superpixels", "stats"]


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    out = tmp_path_factory.mktemp("sample")
    _make_sample_module().build(out)
    return out


def run(capsys, *argv):
    code = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("command", COMMANDS)
def test_help(capsys, command):
    code, out, _ = run(capsys, command, "--help")
    assert code == 0 and f"maskcore {command}" in out and len(out) > 200


def test_usage_errors_exit_2(capsys, sample, tmp_path):
    assert run(capsys, "validate")[0] == 2  # missing SRC
    assert run(capsys, "frobnicate")[0] == 2
    code, _, err = run(capsys, "validate", sample / "labels")
    assert code == 2 and "never guessed" in err and err.count("\n") == 1
    code, _, err = run(capsys, "validate", tmp_path / "missing.json")
    assert code == 2 and "no such file" in err
    code, _, err = run(capsys, "validate", sample / "labels", "--from", "labels", "--labels", "x-y")
    assert code == 2 and "--labels" in err
    code, _, err = run(capsys, "stats", sample / "coco" / "instances.json", "--scheduler", "fast")
    assert code == 2 and "scheduler" in err
    code, _, err = run(capsys, "stats", sample / "coco" / "instances.json", "--workers", "0")
    assert code == 2 and "workers" in err


def test_validate_exit_codes(capsys, sample, tmp_path):
    code, out, _ = run(capsys, "validate", sample / "labels", "--from", "labels", "--labels", "0-15",
                       "--min-island", "4", "--report", tmp_path / "r.html")
    assert code == 1 and "unknown_label" in out and "scene_4.png" in out and "wrote" in out
    assert (tmp_path / "r.html").is_file()
    # a clean dataset: the readable, defect-free scene
    clean = tmp_path / "clean"
    clean.mkdir()
    (clean / "a.png").write_bytes((sample / "labels" / "scene_0.png").read_bytes())
    code, out, _ = run(capsys, "validate", clean, "--from", "labels", "--labels", "0,3,6,9,12,15")
    assert code == 0 and "no problems found" in out


def test_json_on_stdout_only(capsys, sample, monkeypatch):
    """--json: stdout is exactly one JSON document, even with a progress bar on a terminal stderr."""
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    code, out, err = run(capsys, "validate", sample / "coco" / "instances.json", "--json", "--workers", "2")
    d = json.loads(out)
    assert code == 1 and d["job"] == "validate" and d["summary"]["images"] == 6
    assert "validate" in err  # the bar went to stderr
    code, out, err = run(capsys, "stats", sample / "coco" / "instances.json", "--json", "-", "--quiet")
    assert code == 0 and json.loads(out)["summary"]["segments"] > 0 and err == ""


def test_json_to_a_file_and_resume(capsys, sample, tmp_path):
    j = tmp_path / "v.json"
    code, out, _ = run(capsys, "validate", sample / "coco" / "instances.json", "--json", j)
    assert code == 1 and json.loads(j.read_text())["summary"]["images"] == 6
    code, out, _ = run(capsys, "validate", sample / "coco" / "instances.json", "--json", j, "--resume")
    assert code == 1 and "already complete" in out


def test_fail_fast(capsys, sample):
    code, _, err = run(capsys, "validate", sample / "labels", "--from", "labels", "--fail-fast")
    assert code == 1 and "scene_4.png" in err and "--fail-fast" in err


def test_check_coco_alias(capsys, sample, tmp_path, shared_data):
    code, out, _ = run(capsys, "check-coco", sample / "coco" / "instances.json")
    assert code == 1 and "bbox_mismatch" in out
    code, out, _ = run(capsys, "check-coco", shared_data / "coco_val2017_panoptic20_labelbox" /
                       "instances_polygons_only.json")
    assert code in (0, 1) and "images checked" in out
    for text in ("{", "[1, 2", "", "\x00\x01"):
        (tmp_path / "bad.json").write_bytes(text.encode())
        code, out, err = run(capsys, "check-coco", tmp_path / "bad.json")
        assert code == 2 and out == "" and err.startswith("maskcore check-coco: ") and err.count("\n") == 1
    (tmp_path / "list.json").write_text("[]")
    code, _, err = run(capsys, "check-coco", tmp_path / "list.json")
    assert code == 2 and err.count("\n") == 1


def test_render_superpixels_stats_compare_eval(capsys, sample, tmp_path):
    code, out, _ = run(capsys, "render", sample / "coco" / "instances.json", "--images", sample / "images",
                       "--out", tmp_path / "r")
    assert code == 0 and len(list((tmp_path / "r").glob("*.png"))) == 6
    code, out, _ = run(capsys, "render", sample / "labels", "--from", "labels", "--images", sample / "images",
                       "--out", tmp_path / "r2")
    assert code == 1 and "scene_4.png" in out  # the corrupt map: an item that failed
    code, out, _ = run(capsys, "superpixels", *sorted((sample / "images").glob("*.png"))[:2], "--region-size", "16",
                       "--out", tmp_path / "sp")
    assert code == 0 and len(list((tmp_path / "sp").glob("*.png"))) == 4
    code, out, _ = run(capsys, "stats", sample / "panoptic" / "panoptic.json")
    assert code == 1 and "segments" in out  # one panoptic PNG has an id without segments_info
    code, out, _ = run(capsys, "compare", sample / "labels", sample / "labels", "--from", "labels")
    assert code == 1 and "mean IoU 1.0" in out
    code, out, _ = run(capsys, "eval", sample / "labels", sample / "labels", "--task", "semantic", "--from", "labels")
    assert code == 1 and "mIoU 1.0000" in out


def test_demo_on_the_sample(capsys, tmp_path):
    code, out, err = run(capsys, "demo", "--out", tmp_path / "demo", "--sample", SAMPLE)
    assert code == 1, err  # the sample has defects on purpose
    reports = [line.split("report: ", 1)[1] for line in out.splitlines() if line.startswith("report: ")]
    assert reports and all(Path(r).is_file() for r in reports)
    html = Path(reports[0]).read_text()
    assert "bbox_mismatch" in html and "data:image/png;base64," in html


def test_demo_on_the_real_data(capsys, tmp_path, shared_data):
    code, out, err = run(capsys, "demo", "--data", shared_data, "--out", tmp_path / "demo", "--quiet")
    assert code in (0, 1), err
    assert (tmp_path / "demo" / "report.html").is_file()
    assert "coco_mini_val2017" in out
