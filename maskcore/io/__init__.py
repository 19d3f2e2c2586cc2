"""Read and write every mask format users bring, exactly: :func:`read` and :func:`write`.

Every reader returns a :class:`maskcore.Dataset` (masks kept as runs, metadata kept); every
writer takes one. Formats (``format=``; each module's docstring states its semantics and
policies):

=====================  ===============================================================
``"coco"``             COCO instances JSON and result lists (:mod:`maskcore.io.coco`)
``"coco-panoptic"``    COCO panoptic JSON + RGB id PNGs (:mod:`maskcore.io.panoptic`)
``"index-png"``        8/16-bit index PNGs + a segments JSON (:mod:`maskcore.io.indexpng`)
``"rgb"``              RGB colour masks + a colour table (:mod:`maskcore.io.rgb`)
``"labelbox-ndjson"``  Labelbox NDJSON mask rows with local PNGs (:mod:`maskcore.io.rgb`)
``"voc"``              Pascal VOC palette PNGs (:mod:`maskcore.io.voc`)
``"yolo-seg"``         Ultralytics YOLO segmentation txt (:mod:`maskcore.io.yolo`)
``"cityscapes"``       Cityscapes ``*_instanceIds.png`` / ``*_labelIds.png`` (:mod:`maskcore.io.cityscapes`)
``"kaggle-csv"``       Kaggle ``ImageId,EncodedPixels`` CSV (:mod:`maskcore.io.kaggle`)
``"cvat"``             CVAT for images 1.1 XML (:mod:`maskcore.io.cvat`)
``"labelme"``          LabelMe JSON (:mod:`maskcore.io.labelme`)
``"nifti"``            NIfTI label volumes (:mod:`maskcore.io.nifti`, needs nibabel)
=====================  ===============================================================

Ambiguity is refused, never guessed: with ``format=None`` only content that names its format
is accepted (a COCO instances or panoptic JSON object, a LabelMe JSON, a CVAT XML); anything
else (a PNG, a folder, a txt, a CSV, a result list) raises ValueError asking for ``format=``.
Writers write every file to a temporary name beside its target and rename them all once
everything is written: a failed write leaves no partial file and no partial dataset. Hostile files raise :class:`FormatError` (a ValueError) naming the file, the
field and the value.
"""
from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Optional

from ._common import FormatError

if TYPE_CHECKING:
    from ..dataset import Dataset
    from ._common import StrPath

__all__ = ["read", "write", "FormatError", "FORMATS"]

# format -> (module, reader, writer)
_FORMATS = {
    "coco": ("coco", "read_coco", "write_coco"),
    "coco-panoptic": ("panoptic", "read_panoptic", "write_panoptic"),
    "index-png": ("indexpng", "read_index_png", "write_index_png"),
    "rgb": ("rgb", "read_rgb", "write_rgb"),
    "labelbox-ndjson": ("rgb", "read_labelbox_ndjson", "write_labelbox_ndjson"),
    "voc": ("voc", "read_voc", "write_voc"),
    "yolo-seg": ("yolo", "read_yolo", "write_yolo"),
    "cityscapes": ("cityscapes", "read_cityscapes", "write_cityscapes"),
    "kaggle-csv": ("kaggle", "read_kaggle", "write_kaggle"),
    "cvat": ("cvat", "read_cvat", "write_cvat"),
    "labelme": ("labelme", "read_labelme", "write_labelme"),
    "nifti": ("nifti", "read_nifti", "write_nifti"),
}
FORMATS = tuple(_FORMATS)


def _entry(format: object, which: int) -> Callable[..., Any]:
    if not isinstance(format, str) or format not in _FORMATS:
        raise ValueError(f"format: expected one of {', '.join(repr(f) for f in FORMATS)}, got {format!r}")
    mod_name, *funcs = _FORMATS[format]
    mod = importlib.import_module(f".{mod_name}", __name__)
    fn: Callable[..., Any] = getattr(mod, funcs[which])
    return fn


def detect(path: StrPath) -> str:
    """The format a file names by its content, or ValueError asking for ``format=``."""
    p = Path(path)
    ask = (f"{p}: the format cannot be told from the content; pass format= (one of "
           f"{', '.join(repr(f) for f in FORMATS)})")
    if p.is_file():
        with open(p, "rb") as f:
            head = f.read(4096).lstrip()
        if head.startswith(b"<"):
            if b"<annotations" in head:
                return "cvat"
            raise ValueError(ask)
        if head.startswith(b"{") and p.suffix.lower() == ".json":
            try:
                obj = json.loads(p.read_bytes())
            except (ValueError, RecursionError):
                raise ValueError(ask) from None
            if isinstance(obj, dict):
                anns = obj.get("annotations")
                if "images" in obj and isinstance(anns, list):
                    if anns and isinstance(anns[0], dict) and "segments_info" in anns[0]:
                        return "coco-panoptic"
                    if anns and isinstance(anns[0], dict) and "segmentation" in anns[0]:
                        return "coco"
                if "shapes" in obj and ("imagePath" in obj or "imageHeight" in obj):
                    return "labelme"
    raise ValueError(ask)


def read(path: StrPath, format: Optional[str] = None, **options: Any) -> Dataset:
    """Read a dataset.

    Parameters
    ----------
    path : str or Path
        The file (or folder, for formats that are folders) to read.
    format : str, optional
        One of :data:`FORMATS`. None: told from the content when the content names it
        (see the module docstring), else ValueError.
    **options
        The format's own options (its reader's docstring).

    Returns
    -------
    Dataset
    """
    if format is None:
        format = detect(path)
    ds: Dataset = _entry(format, 0)(path, **options)
    return ds


def write(dataset: Dataset, path: StrPath, format: str, **options: Any) -> Any:
    """Write ``dataset`` to ``path`` in ``format`` (atomically; see the format's writer for
    its options and for what it cannot hold). Returns what the writer returns (a report for
    lossy formats, else None)."""
    from ..dataset import Dataset
    if not isinstance(dataset, Dataset):
        raise TypeError(f"dataset: expected a maskcore.Dataset, got {type(dataset).__name__}")
    from ._common import staged
    writer = _entry(format, 1)
    with staged():
        return writer(dataset, path, **options)
