"""maskcore.jobs on a dask.distributed cluster: a LocalCluster of two worker processes gives the
same bytes as the synchronous loop (through a Client and through its tcp:// address), and a worker
killed mid-job leaves complete, correct outputs (the task is re-run elsewhere) or a clear failure
(JobError), never a partial file under a final name."""
import os
import signal
import threading
import time
from pathlib import Path

import numpy as np
import pytest

distributed = pytest.importorskip("distributed")  # the optional maskcore[dask] extra

from maskcore import jobs  # noqa: E402
from maskcore.jobs import _files  # noqa: E402

from test_jobs import _make_sample_module, _result, _tree  # noqa: E402

pytestmark = [pytest.mark.filterwarnings("ignore::DeprecationWarning"),
              pytest.mark.filterwarnings("ignore::ResourceWarning"),
              pytest.mark.filterwarnings("ignore::UserWarning"),
              pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")]


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    out = tmp_path_factory.mktemp("sample")
    _make_sample_module().build(out)
    return out


def _cluster(**config):
    import dask
    from distributed import Client, LocalCluster

    with dask.config.set(config):
        cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                               silence_logs=50)
        client = Client(cluster)
    return cluster, client


@pytest.fixture(scope="module")
def cluster():
    cluster, client = _cluster()
    yield cluster, client
    client.close()
    cluster.close()


def test_local_cluster_gives_the_same_bytes(sample, tmp_path, cluster):
    _, client = cluster
    meta = __import__("json").loads((sample / "labels.json").read_text())
    got = {}
    for name, sch in (("ref", "synchronous"), ("client", client), ("address", client.scheduler.address)):
        d = tmp_path / "out"
        import shutil

        shutil.rmtree(d, ignore_errors=True)
        kw = dict(scheduler=sch, shard_size=2)
        v = jobs.validate(sample / "labels", format="labels", labels=meta["labels"], min_island=4,
                          images=sample / "images", report=d / "r.html", json_path=d / "r.json", **kw)
        r = jobs.render(sample / "coco" / "instances.json", images=sample / "images", out=d / "render", **kw)
        s = jobs.stats(sample / "coco" / "instances.json", **kw)
        sp = jobs.superpixels(sorted((sample / "images").glob("*.png"))[:2], region_size=10, out=d / "sp", **kw)
        got[name] = (_tree(d), [_result(x) for x in (v, r, s, sp)])
    assert got["ref"] == got["client"] == got["address"]
    assert got["ref"][1][0]["errors"][0]["file"] == "scene_4.png"  # per-item errors cross the cluster too


def _images(d: Path, n: int, side: int = 320):
    """n distinct photos large enough that SLIC takes a noticeable time per task."""
    d.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(5)
    paths = []
    yy, xx = np.mgrid[0:side, 0:side]
    for k in range(n):
        img = np.stack([(xx * (k + 1)) % 256, (yy * 3 + k * 17) % 256, ((xx + yy) // 2) % 256], -1).astype(np.uint8)
        img = np.clip(img.astype(int) + rng.integers(-20, 21, img.shape), 0, 255).astype(np.uint8)
        p = d / f"img_{k:02d}.png"
        _files.write_png(p, img)
        paths.append(p)
    return paths


def _kill_a_worker_when_output_appears(client, out: Path, done: threading.Event):
    """Waits for the first output file, then SIGKILLs one worker process (mid-job)."""
    t0 = time.time()
    while not done.is_set() and time.time() - t0 < 120:
        if any(p.name.endswith("_overlay.png") for p in out.glob("*.png")):
            pids = client.run(os.getpid)
            victim = sorted(pids.values())[0]
            os.kill(victim, signal.SIGKILL)
            return victim
        time.sleep(0.01)
    return None


def _superpixels_with_a_kill(client, paths, out):
    done = threading.Event()
    box = {}

    def run():
        try:
            box["res"] = jobs.superpixels(paths, region_size=8, out=out, scheduler=client, shard_size=1)
        except Exception as exc:  # noqa: BLE001 - examined by the test
            box["exc"] = exc
        finally:
            done.set()

    th = threading.Thread(target=run)
    th.start()
    killed = _kill_a_worker_when_output_appears(client, out, done)
    th.join(timeout=300)
    assert not th.is_alive()
    return killed, box


def test_killed_worker_still_ends_with_complete_correct_outputs(tmp_path):
    paths = _images(tmp_path / "img", 12)
    ref = jobs.superpixels(paths, region_size=8, out=tmp_path / "ref", scheduler="synchronous")
    assert not ref.errors
    cluster, client = _cluster()
    try:
        killed, box = _superpixels_with_a_kill(client, paths, tmp_path / "out")
    finally:
        client.close()
        cluster.close()
    assert killed is not None, "the job ended before a worker could be killed"
    assert "exc" not in box, box.get("exc")
    assert not box["res"].errors
    finals = {k: v for k, v in _tree(tmp_path / "out").items() if ".tmp-" not in k}
    assert finals == _tree(tmp_path / "ref")  # every output there, every byte right
    _files.clean_temporaries(tmp_path / "out")  # what the killed task was writing, never under a final name
    assert _tree(tmp_path / "out") == _tree(tmp_path / "ref")


def test_killed_worker_without_retries_is_a_clear_failure(tmp_path):
    paths = _images(tmp_path / "img", 12)
    jobs.superpixels(paths, region_size=8, out=tmp_path / "ref", scheduler="synchronous")
    cluster, client = _cluster(**{"distributed.scheduler.allowed-failures": 0})
    try:
        killed, box = _superpixels_with_a_kill(client, paths, tmp_path / "out")
    finally:
        client.close()
        cluster.close()
    assert killed is not None
    if "exc" in box:  # the usual case: the task lost with the worker may not be retried
        assert isinstance(box["exc"], jobs.JobError) and "lost with its worker" in str(box["exc"])
    refs = _tree(tmp_path / "ref")
    for name, digest in _tree(tmp_path / "out").items():  # whatever was published is complete and right
        if ".tmp-" not in name:
            assert refs[name] == digest, name
