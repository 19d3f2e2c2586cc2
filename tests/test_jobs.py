"""maskcore.jobs: every job on the generated sample dataset and on the real data, results identical
for every scheduler and worker count, per-item errors, fail-fast, resume, atomic outputs."""
import hashlib
import importlib.util
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

import maskcore
from maskcore import jobs
from maskcore.jobs import _files, _run

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "examples" / "sample"


def _make_sample_module():
    spec = importlib.util.spec_from_file_location("make_sample", ROOT / "tools" / "make_sample.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    """The sample dataset, generated afresh by tools/make_sample.py."""
    out = tmp_path_factory.mktemp("sample")
    _make_sample_module().build(out)
    return out


def _tree(d: Path) -> dict:
    """relative path -> sha256 of every file under d (temporaries included: there must be none)."""
    return {str(p.relative_to(d)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(d.rglob("*"))
            if p.is_file()}


def _result(res) -> dict:
    d = json.loads(res.to_json())
    d.pop("outputs")
    return d


def test_sample_is_what_the_generator_makes(sample):
    """The committed examples/sample is byte for byte what tools/make_sample.py makes."""
    assert _tree(SAMPLE) == _tree(sample)


def test_validate_label_maps_finds_the_planted_defects(sample):
    meta = json.loads((sample / "labels.json").read_text())
    res = jobs.validate(sample / "labels", format="labels", labels=meta["labels"], min_island=4,
                        scheduler="synchronous")
    kinds = {(p["image"], p["kind"]) for p in res.problems}
    assert ("scene_1.png", "antialiased_edge") in kinds
    assert ("scene_2.png", "unknown_label") in kinds
    assert ("scene_3.png", "small_component") in kinds
    assert ("scene_5.png", "class_share_anomaly") in kinds
    assert [e.file for e in res.errors] == ["scene_4.png"] and "truncated" in res.errors[0].why
    assert res.exit_code == 1
    unk = [p for p in res.problems if p["kind"] == "unknown_label"][0]
    assert unk["bbox_xywh"] == [120, 90, 5, 6] and unk["count"] == 30 and unk["value"] == 200
    assert res.summary["images"] == 6 and res.summary["images_checked"] == 5
    # the pooled histogram is the sum of the readable maps' pixel counts
    from maskcore.jobs._files import read_png

    tot = {}
    for k in (0, 1, 2, 3, 5):
        v, c = np.unique(read_png(sample / "labels" / f"scene_{k}.png"), return_counts=True)
        for a, b in zip(v.tolist(), c.tolist()):
            tot[a] = tot.get(a, 0) + b
    assert res.summary["histogram"] == dict(sorted(tot.items()))


def test_validate_coco_finds_the_planted_defects(sample):
    res = jobs.validate(sample / "coco" / "instances.json", scheduler="synchronous")
    kinds = {p["kind"] for p in res.problems}
    assert {"bbox_mismatch", "area_mismatch", "split_instance", "polygon_odd_length", "unknown_category",
            "unknown_image", "empty"} <= kinds
    split = [p for p in res.problems if p["kind"] == "split_instance" and p.get("annotation") == 25]
    assert split and "120, 120" in split[0]["message"]
    # the odd-length polygon is reported once (not again as an empty mask)
    assert not [p for p in res.problems if p["kind"] == "empty" and p.get("annotation") == 26]
    assert not res.errors


def test_validate_panoptic_item_error(sample):
    res = jobs.validate(sample / "panoptic" / "panoptic.json", scheduler="synchronous")
    assert [e.file for e in res.errors] == [str(sample / "panoptic" / "panoptic" / "scene_4.png")]
    assert res.errors[0].field == "segments_info" and res.errors[0].value == [77777]


def test_fail_fast_stops_at_the_first_failure(sample):
    with pytest.raises(jobs.FailFast) as exc:
        jobs.validate(sample / "labels", format="labels", fail_fast=True, scheduler="threads", workers=2,
                      shard_size=1)
    assert exc.value.error.file == "scene_4.png"


@pytest.mark.parametrize("scheduler,workers", [("threads", 1), ("threads", 2), ("processes", 2)])
def test_every_scheduler_gives_the_same_bytes(sample, tmp_path, scheduler, workers):
    """validate (JSON and HTML report), stats, render, compare and eval give the same bytes as the
    synchronous loop for every local scheduler and worker count."""
    meta = json.loads((sample / "labels.json").read_text())
    out = {}
    for name, sch, w in (("ref", "synchronous", None), ("run", scheduler, workers)):
        d = tmp_path / "out"  # the same paths both times (the JSON names its outputs)
        shutil.rmtree(d, ignore_errors=True)
        kw = dict(scheduler=sch, workers=w, shard_size=2)
        v = jobs.validate(sample / "labels", format="labels", labels=meta["labels"], min_island=4,
                          images=sample / "images", report=d / "r.html", json_path=d / "r.json", **kw)
        c = jobs.validate(sample / "coco" / "instances.json", images=sample / "images", report=d / "c.html", **kw)
        s = jobs.stats(sample / "panoptic" / "panoptic.json", **kw)
        r = jobs.render(sample / "coco" / "instances.json", images=sample / "images", out=d / "render", **kw)
        cm = jobs.compare(sample / "labels", sample / "labels", format="labels", **kw)
        ev = jobs.evaluate(sample / "panoptic" / "panoptic.json", sample / "panoptic" / "panoptic.json",
                           task="panoptic", **kw)
        out[name] = (_tree(d), [_result(x) for x in (v, c, s, r, cm, ev)])
    assert out["ref"] == out["run"]


def test_superpixels_same_bytes_and_resume(sample, tmp_path):
    imgs = sorted((sample / "images").glob("*.png"))[:3]
    a = jobs.superpixels(imgs, region_size=12, out=tmp_path / "a", scheduler="synchronous")
    jobs.superpixels(imgs, region_size=12, out=tmp_path / "b", scheduler="threads", workers=2, shard_size=1)
    assert _tree(tmp_path / "a") == _tree(tmp_path / "b") and len(_tree(tmp_path / "a")) == 6
    lab = _files.read_png(tmp_path / "a" / "scene_0_labels.png")
    img = _files.read_image(imgs[0])
    assert np.array_equal(lab, maskcore.slic(img, region_size=12, threads=1))
    assert a.summary["segments"][str(imgs[0])] == lab.max() + 1 and not a.errors
    again = jobs.superpixels(imgs, region_size=12, out=tmp_path / "a", resume=True)
    assert again.skipped == 3


def test_render_resume_and_no_temporaries(sample, tmp_path):
    src = sample / "coco" / "instances.json"
    first = jobs.render(src, images=sample / "images", out=tmp_path / "o", scheduler="threads", workers=2)
    assert first.summary["written"] == 6 and not first.errors
    ref = _tree(tmp_path / "o")
    assert len(ref) == 6 and not any(".tmp-" in k for k in ref)
    (tmp_path / "o" / "scene_3.png").unlink()
    (tmp_path / "o" / ".scene_2.png.tmp-1-2-3").write_bytes(b"half a file")  # an interrupted write
    again = jobs.render(src, images=sample / "images", out=tmp_path / "o", resume=True)
    assert again.skipped == 5 and again.summary["written"] == 1
    assert _files.clean_temporaries(tmp_path / "o") == 1
    assert _tree(tmp_path / "o") == ref


def test_render_overlay_colours_and_legend(sample, tmp_path):
    jobs.render(sample / "labels", format="labels", images=sample / "images", out=tmp_path, alpha=1.0,
                scheduler="synchronous", names={3: "sky"})
    pic = _files.read_image(tmp_path / "scene_0.png")
    lab = _files.read_png(sample / "labels" / "scene_0.png")
    h, w = lab.shape
    assert pic.shape[0] > h and pic.shape[1] == w  # the legend strip below
    from maskcore.jobs._draw import class_color, outline

    inner = (lab == 3) & ~outline(lab)
    assert (pic[:h, :w][inner] == class_color(3)).all()  # alpha 1: the class colour itself


def test_atomic_write_leaves_nothing_on_failure(tmp_path):
    class Boom(Exception):
        pass

    with pytest.raises(Boom):
        with _files.staged_output(tmp_path / "out.json") as p:
            p.write_text("{}")
            (p.parent / "masks").mkdir()
            (p.parent / "masks" / "a.png").write_bytes(b"x")
            raise Boom
    assert list(tmp_path.iterdir()) == []
    with _files.staged_output(tmp_path / "out.json") as p:
        p.write_text("{}")
        (p.parent / "masks").mkdir()
        (p.parent / "masks" / "a.png").write_bytes(b"x")
    assert sorted(str(q.relative_to(tmp_path)) for q in tmp_path.rglob("*")) == ["masks", "masks/a.png", "out.json"]


def test_scheduler_arguments():
    with pytest.raises(ValueError, match="scheduler"):
        _run.resolve_scheduler("fast", None)
    with pytest.raises(ValueError, match="workers"):
        _run.resolve_scheduler("threads", 0)
    with pytest.raises(TypeError, match="scheduler"):
        _run.resolve_scheduler(3, None)


def test_without_dask(monkeypatch, sample):
    """No dask: the default runs the same tasks in a loop; asking for a Dask scheduler names the extra."""
    monkeypatch.setattr(_run, "have_dask", lambda: False)
    assert _run.resolve_scheduler(None, None) == ("loop", None)
    with pytest.raises(ImportError, match=r"maskcore\[dask\]"):
        jobs.stats(sample / "coco" / "instances.json", scheduler="threads")
    a = jobs.stats(sample / "coco" / "instances.json")
    monkeypatch.undo()
    b = jobs.stats(sample / "coco" / "instances.json", scheduler="threads", workers=2)
    assert _result(a) == _result(b)


def test_kernel_threads_is_one_inside_tasks():
    seen = []
    _run.run_items([1, 2, 3], lambda x: seen.append(maskcore._validate.CORES) or x, scheduler="threads", workers=2,
                   shard_size=1)
    assert seen == [1, 1, 1]


def test_sources_refuse_to_guess(tmp_path, sample):
    with pytest.raises(jobs.SourceError, match="never guessed"):
        jobs.stats(sample / "labels")
    with pytest.raises(jobs.SourceError, match="no such file"):
        jobs.stats(tmp_path / "nope.json")
    (tmp_path / "x.json").write_text("[1, 2]")
    with pytest.raises(jobs.SourceError, match="cannot tell"):
        jobs.stats(tmp_path / "x.json")
    (tmp_path / "t.json").write_text('{"images": [')
    with pytest.raises(jobs.SourceError, match="cannot read"):
        jobs.stats(tmp_path / "t.json")


def test_hostile_coco_is_reported_per_item(tmp_path):
    """Wrong types in annotations: item errors or problems naming the file and field, never a crash."""
    coco = {"images": [{"id": 1, "file_name": "a.png", "height": 10, "width": 10},
                       {"id": 2, "file_name": "b.png", "height": "ten", "width": 10},
                       {"id": [3]}, "not an image"],
            "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "segmentation": "nope"},
                            {"id": 2, "image_id": 2, "category_id": 1, "segmentation": [[0, 0, 5, 0, 5, 5]]},
                            {"id": 3, "image_id": 99, "category_id": 1, "segmentation": []},
                            {"id": 4, "image_id": 1, "category_id": [1], "segmentation": [[0, 0, 5, 0, 5, 5]]},
                            7],
            "categories": [{"id": 1, "name": "x"}]}
    p = tmp_path / "h.json"
    p.write_text(json.dumps(coco))
    res = jobs.validate(p, scheduler="synchronous")
    assert res.exit_code == 1
    files = {e.file for e in res.errors}
    assert str(p) in files  # image 1 (bad segmentation) and image 2 (height "ten") fail with the file named
    assert any("height" in e.field for e in res.errors)
    kinds = {q["kind"] for q in res.problems}
    assert {"bad_image", "unknown_image"} <= kinds


def test_eval_semantic_equals_one_confusion_matrix(sample, tmp_path):
    """Summed per-image pair counts == maskcore.confusion_matrix over all pixels at once."""
    from maskcore.jobs._files import read_png

    pred = tmp_path / "pred"
    pred.mkdir()
    gts = []
    for k in (0, 1, 2, 3, 5):
        g = read_png(sample / "labels" / f"scene_{k}.png")
        p = np.roll(g, 3, axis=1)
        _files.write_png(pred / f"scene_{k}.png", p)
        gts.append((g, p))
    res = jobs.evaluate(sample / "labels", pred, task="semantic", format="labels", scheduler="threads", workers=2,
                        shard_size=1)
    assert [e.file for e in res.errors] == ["scene_4.png"]  # corrupt gt and missing pred: named
    classes = res.summary["classes"]
    ix = {c: i for i, c in enumerate(classes)}
    remap = np.zeros(256, np.int64)
    for c, i in ix.items():
        remap[c] = i
    g = np.concatenate([remap[a].ravel() for a, _ in gts])
    p = np.concatenate([remap[b].ravel() for _, b in gts])
    cm = maskcore.confusion_matrix(g, p, num_classes=len(classes))
    assert np.array_equal(np.array(res.summary["confusion"]), cm)
    sc = maskcore.semantic_scores(cm)
    assert res.summary["mean_iou"] == pytest.approx(sc.mean_iou)


def test_compare_self_is_perfect_and_orders_by_disagreement(sample, tmp_path):
    from maskcore.jobs._files import read_png

    b = tmp_path / "b"
    b.mkdir()
    for k in (0, 1, 2, 3, 5):
        g = read_png(sample / "labels" / f"scene_{k}.png")
        if k == 2:
            g = g.copy()
            g[:, :80] = 6
        _files.write_png(b / f"scene_{k}.png", g)
    res = jobs.compare(sample / "labels", b, format="labels", scheduler="synchronous")
    assert res.summary["per_image"][0]["image"] == "scene_2.png"
    assert all(r["mean_iou"] == 1.0 for r in res.summary["per_image"][1:])
    assert [e.file for e in res.errors] == ["scene_4.png"] and "not in" in res.errors[0].why  # only in A


# ---- the real data ------------------------------------------------------------------------------------

COCO_FILES = ["coco_val2014_first100/instances_val2014_gt.json", "coco_mini_val2017/instances_val2017.json",
              "coco_mini_train2017_annotations/instances_train2017.json", "lvis_val_100/lvis_val_gt.json",
              "coco_val2017_panoptic20_labelbox/instances_with_crowd_rle.json",
              "coco_val2017_panoptic20_labelbox/instances_polygons_only.json"]
PANOPTIC = ["coco_val2017_panoptic20_labelbox/panoptic_val2017_subset.json",
            "coco_panoptic_panopticapi/panoptic_examples.json"]


@pytest.mark.parametrize("rel", COCO_FILES)
def test_real_coco_validate_and_stats(shared_data, rel):
    from pycocotools.coco import COCO
    import contextlib
    import io

    src = shared_data / rel
    with contextlib.redirect_stdout(io.StringIO()):
        ref = COCO(str(src))
    res = jobs.validate(src, scheduler="threads", workers=2)
    assert not res.errors, res.errors[:3]
    assert res.summary["segments"] == len(ref.anns)
    # every problem names an image of the file and a known kind
    names = {im["file_name"] for im in ref.imgs.values()}
    assert all(p["image"] in names for p in res.problems)
    st = jobs.stats(src, scheduler="synchronous")
    assert st.summary["segments"] == len(ref.anns) and st.summary["images"] == len(ref.imgs)
    per = {c["id"]: c["segments"] for c in st.summary["classes"]}
    for cid in {a["category_id"] for a in ref.anns.values()}:
        assert per[cid] == len(ref.getAnnIds(catIds=[cid]))
    areas = {}
    for a in ref.anns.values():
        areas.setdefault(a["category_id"], []).append(int(maskcore.coco.area(ref.annToRLE(a))))
    for c in st.summary["classes"]:
        assert c["area_min"] == min(areas[c["id"]]) and c["area_max"] == max(areas[c["id"]])


@pytest.mark.parametrize("rel", PANOPTIC)
def test_real_panoptic(shared_data, rel, tmp_path):
    src = shared_data / rel
    data = json.loads(src.read_text())
    res = jobs.validate(src, scheduler="threads", workers=2)
    assert not res.errors
    st = jobs.stats(src, scheduler="synchronous")
    assert st.summary["segments"] == sum(len(a["segments_info"]) for a in data["annotations"])
    # areas equal the JSON's declared areas (checked pixel counts in SOURCES.md)
    declared = {}
    for a in data["annotations"]:
        for s in a["segments_info"]:
            declared[s["category_id"]] = declared.get(s["category_id"], 0) + s["area"]
    assert {c["id"]: c["pixels"] for c in st.summary["classes"]} == declared
    ev = jobs.evaluate(src, src, task="panoptic", scheduler="threads", workers=2)
    assert ev.summary["all"]["pq"] == pytest.approx(1.0)
    imgs = {"coco_val2017_panoptic20_labelbox": "images", "coco_panoptic_panopticapi": "input_images"}
    out = jobs.render(src, images=src.parent / imgs[src.parent.name], out=tmp_path / "r", scheduler="threads")
    assert not out.errors and out.summary["written"] == len(data["annotations"])


def test_real_label_maps(shared_data, tmp_path):
    """VOC (palette, read as indices, 255 = void), Cityscapes, LoveDA, LIP, Potsdam, Mapillary label maps."""
    src = shared_data / "semantic_mmseg_samples"
    ann = tmp_path / "ann"
    for p in sorted(src.rglob("*.png")):  # the label maps only: the folders hold the photos too
        if any(k in str(p) for k in ("ann_dir", "gtFine", "segmentations", "v1.2", "v2.0")):
            (ann / p.relative_to(src)).parent.mkdir(parents=True, exist_ok=True)
            (ann / p.relative_to(src)).symlink_to(p)
    res = jobs.validate(ann, format="labels", min_island=5, scheduler="threads", workers=2)
    assert not res.errors and res.summary["images_checked"] == 9
    from PIL import Image

    tot = {}
    for p in sorted(ann.rglob("*.png")):
        a = np.asarray(Image.open(p))
        v, c = np.unique(a, return_counts=True)
        for x, y in zip(v.tolist(), c.tolist()):
            tot[x] = tot.get(x, 0) + y
    assert res.summary["histogram"] == dict(sorted(tot.items()))
    voc = shared_data / "pascal_voc2012" / "SegmentationClass"
    v = jobs.validate(voc, format="labels", labels=list(range(21)) + [255], scheduler="synchronous")
    assert not v.errors and set(v.summary["histogram"]) == {0, 1, 15, 255}
    assert not [p for p in v.problems if p["kind"] == "unknown_label"]
    ev = jobs.evaluate(voc, voc, task="semantic", format="labels", ignore=255, scheduler="synchronous")
    assert ev.summary["mean_iou"] == 1.0 and 255 not in ev.summary["classes"]
    sp = jobs.superpixels([shared_data / "pascal_voc2012" / "JPEGImages" / "2007_000032.jpg"], region_size=25,
                          out=tmp_path / "sp", scheduler="threads")
    assert not sp.errors and len(sp.outputs) == 2


def test_real_compare_coco_with_itself(shared_data):
    src = shared_data / "coco_val2017_panoptic20_labelbox" / "instances_with_crowd_rle.json"
    res = jobs.compare(src, src, scheduler="threads", workers=2)
    assert not res.errors and res.summary["mean_iou"] == 1.0
    assert res.summary["instances"]["only_a"] == 0 and res.summary["instances"]["only_b"] == 0


def test_real_report(shared_data, tmp_path):
    d = shared_data / "coco_mini_val2017"
    res = jobs.validate(d / "instances_val2017.json", images=d / "images", report=tmp_path / "r.html",
                        json_path=tmp_path / "r.json", min_island=10, scheduler="threads", workers=2)
    html = (tmp_path / "r.html").read_text()
    assert html.count("data:image/png;base64,") == 1 + min(12, len(res.problems))
    assert "http://" not in html and "https://" not in html
    assert json.loads((tmp_path / "r.json").read_text())["summary"]["images"] == 53
    again = jobs.validate(d / "instances_val2017.json", report=tmp_path / "r.html", json_path=tmp_path / "r.json",
                          resume=True)
    assert again.skipped == 2 and again.problems == json.loads(res.to_json())["problems"]


@pytest.mark.parametrize("iou_type", ["segm", "bbox"])
def test_real_eval_instances_equals_pycocotools(shared_data, iou_type, capsys):
    """COCO AP of the real fake-results file through maskcore.cocoeval equals pycocotools'."""
    import contextlib
    import io

    pytest.importorskip("maskcore.cocoeval")
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    d = shared_data / "coco_val2014_first100"
    dt = d / f"instances_val2014_fake{iou_type}_results.json"
    res = jobs.evaluate(d / "instances_val2014_gt.json", dt, iou_type=iou_type, scheduler="threads")
    with contextlib.redirect_stdout(io.StringIO()):
        gt = COCO(str(d / "instances_val2014_gt.json"))
        ev = COCOeval(gt, gt.loadRes(str(dt)), iou_type)
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    assert list(res.summary["stats"].values()) == [float(x) for x in ev.stats]
    assert capsys.readouterr().out == ""  # summarize()'s printout stays off stdout


# ---- convert (maskcore.io) -----------------------------------------------------------------------------

def _semantic_maps(ds):
    return [r.segments.to_semantic_map(overlap="later-wins") for r in ds]


def _clean_coco(sample, tmp_path):
    """The sample COCO file without its structurally broken annotations (maskcore.io refuses a file
    that holds one: an odd-length polygon, an annotation of an unlisted image or category)."""
    d = json.loads((sample / "coco" / "instances.json").read_text())
    ids = {im["id"] for im in d["images"]}
    cats = {c["id"] for c in d["categories"]}
    d["annotations"] = [a for a in d["annotations"] if a["image_id"] in ids and a["category_id"] in cats and
                        not (isinstance(a["segmentation"], list) and any(len(p) % 2 for p in a["segmentation"]))]
    tmp_path.mkdir(parents=True, exist_ok=True)
    p = tmp_path / "clean.json"
    p.write_text(json.dumps(d))
    return p


def test_convert_refuses_a_broken_coco_file_naming_the_field(sample, tmp_path):
    pytest.importorskip("maskcore.io")
    with pytest.raises(jobs.SourceError, match=r"annotations\[25\]\.segmentation"):
        jobs.convert(sample / "coco" / "instances.json", tmp_path / "o.json", to="index-png",
                     scheduler="synchronous")
    assert list(tmp_path.iterdir()) == []


def test_convert_coco_to_index_png_same_bytes_every_scheduler(sample, tmp_path):
    mio = pytest.importorskip("maskcore.io")
    src = _clean_coco(sample, tmp_path)
    trees = []
    for sch, w in (("synchronous", None), ("threads", 2), ("processes", 2)):
        out = tmp_path / "out"
        shutil.rmtree(out, ignore_errors=True)
        res = jobs.convert(src, out / "segments.json", to="index-png", renumber=True, overlap="later-wins",
                           scheduler=sch, workers=w)
        assert not res.errors and res.summary["written"] == 6
        trees.append(_tree(out))
    assert trees[0] == trees[1] == trees[2] and not any(".tmp-" in k for k in trees[0])
    back = mio.read(tmp_path / "out" / "segments.json", "index-png")
    ref = mio.read(src, "coco")
    for a, b in zip(_semantic_maps(ref), _semantic_maps(back)):
        assert np.array_equal(a, b)
    again = jobs.convert(src, tmp_path / "out" / "segments.json", to="index-png", resume=True)
    assert again.skipped == 1


def test_convert_label_folder_skips_the_corrupt_map(sample, tmp_path):
    mio = pytest.importorskip("maskcore.io")
    res = jobs.convert(sample / "labels", tmp_path / "seg.json", format="labels", to="index-png",
                       scheduler="threads", workers=2, shard_size=1)
    assert [e.file for e in res.errors] == ["scene_4.png"] and res.exit_code == 1
    back = mio.read(tmp_path / "seg.json", "index-png")
    from maskcore.jobs._files import read_png

    names = [f"scene_{k}.png" for k in (0, 1, 2, 3, 5)]
    assert [r.file_name for r in back] == names
    for r, n in zip(back, names):
        assert np.array_equal(r.segments.to_semantic_map(), read_png(sample / "labels" / n))


@pytest.mark.parametrize("to", ["index-png", "rgb"])
def test_convert_labels_written_by_shards_equals_one_whole_write(sample, tmp_path, to):
    """A label folder's index-png / rgb output is written by the shard tasks (the driver joins the
    shards' JSON items): the same bytes as maskcore.io.write of the whole dataset, for every
    scheduler, worker count and shard size."""
    mio = pytest.importorskip("maskcore.io")
    from maskcore.jobs import _jobs as J, _sources

    src = _sources.open_source(sample / "labels", "labels", names={1: "a", 2: "a"})
    rows = [r for r in (J._labels_runs_item(it) if it.name != "scene_4.png" else None for it in src.items) if r]
    mio.write(J._to_dataset(rows, J._categories(rows, src)), str(tmp_path / "ref" / "seg.json"), to)
    ref = _tree(tmp_path / "ref")
    for sch, w, size in (("synchronous", None, 1), ("threads", 2, 2), ("processes", 2, 3), ("threads", 1, 64)):
        out = tmp_path / f"{sch}-{size}"
        res = jobs.convert(sample / "labels", out / "seg.json", format="labels", to=to, names={1: "a", 2: "a"},
                           scheduler=sch, workers=w, shard_size=size)
        assert res.summary["written"] == 5 and [e.file for e in res.errors] == ["scene_4.png"]
        assert _tree(out) == ref, (sch, size)


def test_convert_labels_two_images_one_mask_name_across_shards(tmp_path):
    """Two label maps whose masks would share one name (a/x.png, b/x.png -> masks/x.png) are refused
    as the whole-dataset writer refuses them, even when different shards write them; nothing is
    published."""
    pytest.importorskip("maskcore.io")
    from maskcore.jobs._files import write_png

    for d in ("a", "b"):
        write_png(tmp_path / "in" / d / "x.png", np.eye(4, dtype=np.uint8))
    with pytest.raises(ValueError, match="two images would write masks/x.png"):
        jobs.convert(tmp_path / "in", tmp_path / "out" / "seg.json", format="labels", to="index-png",
                     scheduler="threads", workers=2, shard_size=1)
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_convert_failure_publishes_nothing(sample, tmp_path):
    """A writer that fails part way (an id of the last image does not fit a 16-bit index PNG):
    neither segments.json nor any mask PNG appears."""
    pytest.importorskip("maskcore.io")
    src = _clean_coco(sample, tmp_path / "in")
    d = json.loads(src.read_text())
    d["annotations"][-1]["id"] = 70000
    src.write_text(json.dumps(d))
    with pytest.raises((ValueError, jobs.JobError)):
        jobs.convert(src, tmp_path / "out" / "segments.json", to="index-png", overlap="later-wins",
                     scheduler="synchronous")
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())  # no masks/ either


def test_real_convert_coco_to_index_png(shared_data, tmp_path):
    mio = pytest.importorskip("maskcore.io")
    src = shared_data / "coco_mini_val2017" / "instances_val2017.json"
    res = jobs.convert(src, tmp_path / "seg.json", to="index-png", renumber=True, overlap="later-wins",
                       scheduler="threads", workers=2)
    assert not res.errors and res.summary["written"] == 53
    for a, b in zip(_semantic_maps(mio.read(src, "coco")), _semantic_maps(mio.read(tmp_path / "seg.json",
                                                                                   "index-png"))):
        assert np.array_equal(a, b)


def test_io_formats_across_processes(sample, tmp_path):
    """A maskcore.io source's runs and a label folder's converted runs cross process boundaries
    (the processes scheduler pickles them) and give the same results as in one process."""
    pytest.importorskip("maskcore.io")
    outs = []
    for sch in ("synchronous", "processes"):
        d = tmp_path / sch
        c = jobs.convert(sample / "labels", d / "seg.json", format="labels", to="index-png", scheduler=sch, workers=2)
        v = jobs.validate(d / "seg.json", format="index-png", min_island=4, scheduler=sch, workers=2, shard_size=2)
        s = jobs.stats(d / "seg.json", format="index-png", scheduler=sch, workers=2)
        assert not v.errors and v.summary["images_checked"] == 5
        outs.append((_tree(d), [_result(x) for x in (c, v, s)]))
    assert outs[0][0] == outs[1][0]
    for a, b in zip(outs[0][1], outs[1][1]):
        a.pop("source"), b.pop("source")
        a["summary"].pop("dst", None), b["summary"].pop("dst", None)
        assert a == b


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
def test_validate_labels_shortcut_equals_the_full_check(tmp_path, dtype):
    """validate skips qa.validate's per-pixel labels pass when a map holds only allowed values
    (_jobs._only_allowed): the problems are those of the full check, with or without strays."""
    from PIL import Image

    from maskcore import qa
    from maskcore.jobs import _jobs

    rng = np.random.default_rng(7)
    top = 255 if dtype == np.uint8 else 1000
    maps = []
    for k in range(6):
        m = np.zeros((40, 50), dtype)
        m[5:20, 5:30] = 3
        m[25:35, 10:45] = top
        m[rng.integers(0, 40, 4), rng.integers(0, 50, 4)] = 7  # islands of one pixel
        if k == 2:
            m[0, 0] = 9  # a value outside every label set below but the full range
        if k == 4:
            m[:] = 0  # empty
        maps.append(m)
        Image.fromarray(m).save(tmp_path / f"m{k}.png")
    for labels in ([0, 3, 7, top], list(range(top + 1)), [0, 3, top], list(range(8)) + [top]):
        res = jobs.validate(tmp_path, format="labels", labels=labels, min_island=2, scheduler="synchronous")
        got = sorted(json.dumps(p, sort_keys=True) for p in res.problems if p["kind"] != "class_share_anomaly")
        want = sorted(json.dumps(_jobs._problem_dict(p, f"m{k}.png"), sort_keys=True)
                      for k, m in enumerate(maps) for p in qa.validate(m, labels=labels, min_size=2).problems)
        assert got == want, labels
    assert _jobs._only_allowed(maps[0], [0, 3, 7, top]) and not _jobs._only_allowed(maps[2], [0, 3, 7, top])
    assert _jobs._only_allowed(maps[0], list(range(top + 1))) and not _jobs._only_allowed(maps[0], [0, 3, top])


def test_many_shards_come_back_in_item_order():
    """One plain task graph per job (not one delayed object per shard): thousands of shards, in order."""
    out = _run.run_items(range(5000), abs, scheduler="threads", workers=2, shard_size=1)
    assert out == list(range(5000))
