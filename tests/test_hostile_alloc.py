"""Issue 14, defect 2 (and issue 13 section 4): allocation failure is a MemoryError, never a dead process.

Each kernel family runs in a child process under a ladder of address-space limits
(RLIMIT_AS = what the child already maps + 0, 1, 4, 16, ... MiB): at every rung the
call either succeeds or raises MemoryError; the child must never die by a signal
(std::terminate from a bad_alloc in a noexcept worker ended in SIGABRT: slic on a
3000x3000 image did). At least one rung must fail, so the limit did bite. The limit is
lifted between rungs, so one child walks the whole ladder.

Skipped under an ASan build: ASan reserves terabytes of shadow memory, and its throwing
operator new reports out-of-memory and aborts instead of throwing std::bad_alloc.
tools/sanitize.sh runs this file under a UBSan-only build instead.
"""
import os
import subprocess
import sys
import textwrap

import pytest

import maskcore

pytestmark = [
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="RLIMIT_AS and /proc are Linux's"),
    pytest.mark.skipif("address" in maskcore._core.sanitize,
                       reason="ASan's operator new aborts instead of throwing (tools/sanitize.sh runs this file under UBSan alone)"),
]

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# The child imports the maskcore this process imported (the installed wheel under tools/test_installed.sh).
HOME = os.path.dirname(os.path.dirname(os.path.abspath(maskcore.__file__)))

# Set up (inputs made before any limit), then the call; names are the families.
FAMILIES = {
    "rle_encode": ("m = np.random.default_rng(0).random((2000, 2000, 4)) < 0.5", "maskcore.encode(m)"),
    "rle_decode": ("r = maskcore.encode(np.random.default_rng(0).random((2000, 2000, 4)) < 0.5)",
                   "maskcore.decode(r)"),
    "rle_merge": ("r = maskcore.encode(np.random.default_rng(0).random((1500, 1500, 8)) < 0.5)",
                  "maskcore.merge(r)"),
    "rle_strings": ("r = maskcore.encode(np.random.default_rng(0).random((1500, 1500, 8)) < 0.5); c = r.to_coco()",
                    "maskcore.RLEBatch.from_coco(c)"),
    "iou": ("r = maskcore.encode(np.random.default_rng(0).random((300, 300, 200)) < 0.5)", "maskcore.iou(r, r)"),
    "rasterize": ("p = np.random.default_rng(0).uniform(0, 3000, (20000, 2))",
                  "maskcore.rasterize([p], 3000, 3000, rule='touched')"),
    "rasterize_rle": ("p = np.random.default_rng(0).uniform(0, 3000, (20000, 2))",
                      "maskcore.rasterize_rle([p], 3000, 3000, rule='inclusive')"),
    "coco_frPyObjects": ("import maskcore.coco; p = np.random.default_rng(0).uniform(0, 2000, (300, 400)).tolist()",
                         "maskcore.coco.frPyObjects(p, 2000, 2000)"),
    "label": ("m = np.random.default_rng(0).random((3000, 3000)) < 0.5", "maskcore.label(m)"),
    "component_stats": ("l = maskcore.label(np.random.default_rng(0).random((3000, 3000)) < 0.5)[0]",
                        "maskcore.component_stats(l)"),
    "slic": ("img = np.random.default_rng(0).integers(0, 255, (1500, 1500, 3)).astype(np.uint8)",
             "maskcore.slic(img, n_segments=2000, iterations=2)"),
    "find_polygons": ("m = np.random.default_rng(0).random((1500, 1500)) < 0.5", "maskcore.find_polygons(m)"),
    "find_polygons_labels": ("l = np.random.default_rng(0).integers(0, 50, (1500, 1500)).astype(np.int32)",
                             "maskcore.find_polygons_labels(l)"),
    "confusion_matrix": ("g = np.random.default_rng(0).integers(0, 3000, (2000, 2000)).astype(np.uint16)",
                         "maskcore.confusion_matrix(g, g, 3000)"),
    "boundary_iou": ("m = np.random.default_rng(0).random((2000, 2000)) < 0.5", "maskcore.boundary_iou(m, m[::-1])"),
}

CHILD = textwrap.dedent("""
    import resource, sys
    import numpy as np
    import maskcore
    {setup}
    def mapped():
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    outcomes = []
    for mib in (0, 1, 4, 16, 64, 256, 1024, 4096):
        resource.setrlimit(resource.RLIMIT_AS, (mapped() + (mib << 20), hard))
        try:
            {call}
            outcomes.append("ok")
        except MemoryError:
            outcomes.append("MemoryError")
        finally:
            resource.setrlimit(resource.RLIMIT_AS, (hard, hard))
    print(" ".join(outcomes))
""")


@pytest.mark.parametrize("family", list(FAMILIES))
def test_allocation_failure_is_memory_error(family):
    setup, call = FAMILIES[family]
    code = CHILD.format(setup=setup, call=call)
    env = dict(os.environ, PYTHONPATH=HOME + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=HOME,
                          timeout=300)
    assert proc.returncode == 0, (f"{family}: the child ended with {proc.returncode} "
                                  f"(a negative code is a signal)\n{proc.stderr[-2000:]}")
    outcomes = proc.stdout.split()
    assert "MemoryError" in outcomes, f"{family}: no limit made the call fail: {outcomes}"
    assert set(outcomes) <= {"ok", "MemoryError"}
