"""maskcore: exact, fast kernels for image segmentation masks.

The native core (C++17, SIMD chosen at run time, GIL released) sits under this
thin API. Modules:

- :mod:`maskcore.rle` — COCO run-length encoding: :class:`RLE`, :class:`RLEBatch`,
  :func:`encode`, :func:`decode`, :func:`area`, :func:`bbox`, :func:`merge`, and the
  Kaggle / row-run dialects.
- :mod:`maskcore.coco` — a drop-in replacement for ``pycocotools.mask``.
- :mod:`maskcore.raster` — polygon rasterization with a declared rule (center, coco,
  inclusive, touched): :func:`rasterize`, :func:`rasterize_rle`, :func:`rasterize_rle_batch`,
  :func:`paint`, :func:`paint_many`, :func:`paint_mask`, :func:`stroke`, :func:`draw_rgb`.
- :mod:`maskcore.components` — connected components in 2D and 3D: :func:`label`,
  :func:`component_stats`, :func:`split_instances`, :func:`remove_small`,
  :func:`largest_components`, :func:`fill_holes`, :func:`disconnected_instances`.
- :mod:`maskcore.superpixels` — SLIC superpixels: :func:`slic`, :class:`Superpixels`,
  :func:`select_superpixels`, :func:`paint_superpixels`.
- :mod:`maskcore.contours` — masks and label maps to polygons with holes
  (:func:`find_polygons`, exact crack mode that rasterizes back losslessly,
  topology-preserving simplification) and COCO / YOLO export.
- :mod:`maskcore.segments` / :mod:`maskcore.dataset` — the annotation model:
  :class:`Segments` (one image's masks as a table), :class:`Category`, :class:`Dataset`;
  :mod:`maskcore.io` — :func:`maskcore.io.read` / :func:`maskcore.io.write` for COCO, COCO
  panoptic, index PNGs, RGB masks, VOC, YOLO-seg, Cityscapes, Kaggle CSV, CVAT, LabelMe, NIfTI.
- :mod:`maskcore.metrics` — :func:`iou` and :func:`dice` of dense masks or RLEs,
  :func:`boundary_iou`, :func:`confusion_matrix` / :func:`semantic_scores`,
  :func:`panoptic_quality`, :func:`match_instances`; :mod:`maskcore.qa` —
  :func:`validate` and :func:`validate_coco` for label maps and COCO files.
- :mod:`maskcore.cocoeval` — ``COCOeval``, a drop-in for pycocotools' (segm, bbox and
  boundary AP, bit-identical numbers, native and threaded); :func:`mask_nms` — greedy
  non-maximum suppression by mask IoU.

Large outputs: the arrays :func:`label`, :func:`slic` and :class:`Superpixels` return
from 8 MiB on are views of a pooled block (memory reused without page faults), not
arrays that own their data: ``flags.writeable`` toggles as usual, but
``ndarray.resize()`` in place raises ValueError as it does for any view (use
``np.resize(a, shape)`` or ``a.copy()`` first).

Instruction sets: the widest the CPU supports is used; ``MASKCORE_ISA=scalar``
(or ``avx2``, ``avx512``) in the environment, :func:`set_isa` or the
:func:`use_isa` context manager choose another. Every ISA gives identical results.
"""
from __future__ import annotations

import contextlib
import os
import platform
import sys
import warnings
from typing import Iterator, Optional, TextIO

from . import _core
from . import _validate as _v
from .rle import RLE, RLEBatch, area, bbox, decode, encode, merge
from .raster import (draw_rgb, paint, paint_many, paint_mask, rasterize, rasterize_rle, rasterize_rle_batch,
                     stroke)
from .components import (component_stats, disconnected_instances, fill_holes, label, largest_components,
                         remove_small, split_instances)
from .superpixels import Superpixels, paint_superpixels, select_superpixels, slic
from .contours import Polygon, find_polygons, find_polygons_labels, to_coco_segmentation, to_yolo
from .metrics import (ConfusionAccumulator, annotator_agreement, boundary, boundary_iou, confusion_matrix, dice,
                      iou, match_instances, panoptic_quality, rgb_to_id, semantic_scores)
from .qa import validate, validate_batch, validate_coco
from .nms import mask_nms
from .segments import Segment, Segments
from .dataset import Category, Dataset, ImageRecord
from . import io  # noqa: E402
from . import coco, cocoeval, components, contours, metrics, qa, raster, rle, superpixels  # noqa: F401 (as attributes)

__version__ = "0.1.0"

__all__ = [
    "RLE",
    "RLEBatch",
    "Segments",
    "Segment",
    "Category",
    "Dataset",
    "ImageRecord",
    "io",
    "encode",
    "decode",
    "area",
    "bbox",
    "iou",
    "merge",
    "dice",
    "boundary",
    "boundary_iou",
    "confusion_matrix",
    "semantic_scores",
    "ConfusionAccumulator",
    "panoptic_quality",
    "rgb_to_id",
    "match_instances",
    "annotator_agreement",
    "validate",
    "validate_batch",
    "validate_coco",
    "mask_nms",
    "Polygon",
    "find_polygons",
    "find_polygons_labels",
    "to_coco_segmentation",
    "to_yolo",
    "label",
    "component_stats",
    "split_instances",
    "remove_small",
    "largest_components",
    "fill_holes",
    "disconnected_instances",
    "rasterize",
    "rasterize_rle",
    "rasterize_rle_batch",
    "paint",
    "paint_many",
    "paint_mask",
    "stroke",
    "draw_rgb",
    "slic",
    "Superpixels",
    "select_superpixels",
    "paint_superpixels",
    "available_isas",
    "get_isa",
    "set_isa",
    "use_isa",
    "show_config",
    "release_memory",
    "__version__",
]


def available_isas() -> list[str]:
    """Instruction sets this CPU (and OS) can run, narrowest first, e.g. ``['scalar', 'avx2', 'avx512']``."""
    return list(_core.available_isas())


def get_isa() -> str:
    """The instruction set kernels dispatch to now."""
    return _core.get_isa()


def set_isa(name: str) -> None:
    """Make every kernel use ``name`` ("scalar", "avx2" or "avx512") from now on, process-wide.

    Raises
    ------
    ValueError
        If the name is unknown or the CPU does not support it.
    """
    _core.set_isa(_v.isa_name(name))


@contextlib.contextmanager
def use_isa(name: str) -> Iterator[None]:
    """Context manager: run the block with ``set_isa(name)``, then restore the previous ISA."""
    previous = get_isa()
    set_isa(name)
    try:
        yield
    finally:
        set_isa(previous)


def release_memory() -> None:
    """Give back the memory maskcore keeps between calls.

    maskcore keeps two kinds of memory so that repeated calls do not pay for allocation
    and page faults every time:

    - the kernels' per-thread scratch buffers: at most 64 MiB per thread
      (``maskcore._core.SCRATCH_KEEP_BYTES``) between calls, over all kernel families;
    - a small pool of large output blocks, reused for outputs of the same size.

    This frees the pool, the calling thread's scratch at once and every other thread's
    scratch (the worker threads of ``threads=``) at its next kernel call. Results never
    depend on it; the next calls are only slower by a first-touch of their memory.
    :func:`show_config` reports what is kept.
    """
    _core.pool_release()
    _core.scratch_release()


def show_config(file: Optional[TextIO] = None) -> None:
    """Print the version, compiler, instruction set in use and those available, the memory
    kept between calls (:func:`release_memory`) and the kernel table."""
    lines = [
        f"maskcore {__version__}",
        f"python    {platform.python_version()} ({sys.platform}, {platform.machine()})",
        f"compiler  {_core.compiler()}",
        f"isa       {get_isa()} (best: {_core.best_isa()}; available: {', '.join(available_isas())})",
        f"threads   {_v.CORES} (default for threads=None)",
        f"memory    kept between calls: {_core.scratch_kept_bytes() / 2**20:.1f} MiB scratch (this thread; "
        f"at most {_core.SCRATCH_KEEP_BYTES >> 20} MiB per thread), {_core.pool_kept_bytes() / 2**20:.1f} MiB "
        f"output pool; maskcore.release_memory() frees them",
    ]
    if _core.sanitize:
        lines.append(f"sanitize  {_core.sanitize}")
    isas = ["scalar", "avx2", "avx512"]
    level = isas.index(get_isa())
    lines.append(f"kernels   (the variant that runs at {get_isa()}; at each level: {' / '.join(isas)})")
    for family, kernel, variants in _core.kernel_table():
        lines.append(f"  {family:8s} {kernel:22s} {variants[level]:16s} [{' / '.join(variants)}]")
    print("\n".join(lines), file=file)


def _check_env_isa() -> None:
    wanted = os.environ.get("MASKCORE_ISA", "").strip().lower()
    if wanted and wanted != get_isa():
        warnings.warn(
            f"MASKCORE_ISA={wanted!r} is unknown or unsupported here; using {get_isa()!r} "
            f"(available: {', '.join(available_isas())})",
            RuntimeWarning,
            stacklevel=3,
        )


_check_env_isa()
