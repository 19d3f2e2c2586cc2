"""NIfTI label volumes (``format="nifti"``; needs nibabel: ``pip install nibabel``).

A label volume (``.nii`` / ``.nii.gz``, integer or integral float voxels) becomes one image
per slice along the volume's third axis: nibabel's array is indexed ``[x, y, z]``; slice ``z``
is the ``(rows = y, cols = x)`` map ``data[:, :, z].T`` (maskcore's (Z, Y, X) volume order),
``image_id = z`` (from 0), ``file_name = "<file>#z=<z>"``. Each slice's segments are its label
values (one native pass per slice, :meth:`Segments.from_label_map`; 0 is background), ``ids`` =
``category_ids`` = the label value. The affine, the voxel spacing (``zooms``), the shape, the
data dtype, the intent and the descriptive text are kept in ``dataset.metadata``; ``labels=``
(``{value: name}``, or a path to a ``value;name`` / ``value name`` / ``value,name`` text table)
names the categories (values without a name get their number). Refused: a 4-D volume, voxels
that are not whole numbers (a float label of 1.5), values beyond int64.

Writing: the slices stacked back into a volume with the kept affine and dtype (default
``int32`` for a dataset that was not read from NIfTI), so a volume read and written is equal
voxel for voxel. Segments of one slice may not overlap (``overlap=``).
"""
from __future__ import annotations

import types
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Mapping, Optional, Union

import numpy as np
from numpy.typing import DTypeLike

from ..dataset import Category, Dataset, ImageRecord
from ..segments import Segments
from ._common import FormatError, new_dataset

if TYPE_CHECKING:
    from ._common import StrPath

__all__ = ["read_nifti", "write_nifti"]


def _nibabel() -> types.ModuleType:
    try:
        import nibabel
    except ImportError:
        raise ImportError("format='nifti' needs nibabel: pip install nibabel (or maskcore[nifti])") from None
    return nibabel


def _label_table(labels: Union[Mapping[Any, Any], StrPath, None]) -> dict[int, str]:
    if labels is None:
        return {}
    if isinstance(labels, Mapping):
        return {int(k): str(v) for k, v in labels.items()}
    out: dict[int, str] = {}
    path = Path(labels)
    for ln, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        for sep in (";", ",", "\t", " "):
            if sep in line:
                head, _, rest = line.partition(sep)
                break
        else:
            head, rest = line, ""
        try:
            v = int(head)
        except ValueError:
            if ln == 1:
                continue  # a header row
            raise FormatError(f"{path}: line {ln}: expected 'value{sep}name', got {line[:60]!r}") from None
        out[v] = rest.split(sep)[0].strip() if rest else str(v)
    return out


def read_nifti(path: StrPath, *, labels: Union[Mapping[Any, Any], StrPath, None] = None,
               threads: Optional[int] = None) -> Dataset:
    """Read a NIfTI label volume (module docstring)."""
    nib = _nibabel()
    path = Path(path)
    try:
        img = nib.load(str(path))
        data = np.asanyarray(img.dataobj)
    except FileNotFoundError:
        raise
    except Exception as e:  # nibabel raises many types for broken files
        raise FormatError(f"{path}: not a readable NIfTI volume ({type(e).__name__}: {e})") from None
    if data.ndim == 2:
        data = data[:, :, None]
    if data.ndim != 3:
        raise FormatError(f"{path}: shape: expected a 3-D label volume, got shape {data.shape}")
    if data.dtype.kind == "f":
        finite = np.isfinite(data)
        if not finite.all() or not np.array_equal(data, np.floor(data)):
            bad = data[~finite | (data != np.floor(np.where(finite, data, 0)))]
            raise FormatError(f"{path}: voxels: expected whole-number labels, got {float(bad.flat[0])!r}")
        if data.size and (data.min() < -2**62 or data.max() > 2**62):
            raise FormatError(f"{path}: voxels: labels beyond int64")
        vol = data.astype(np.int64)
    elif data.dtype.kind in "iub":
        vol = data
    else:
        raise FormatError(f"{path}: dtype: expected integer or float voxels, got {data.dtype}")
    names = _label_table(labels)
    records: list[ImageRecord] = []
    seen: set[int] = set()
    for z in range(vol.shape[2]):
        sl = vol[:, :, z].T
        s = Segments.from_label_map(sl, background=0, threads=threads)
        s = s.with_columns(category_ids=s.ids)
        seen.update(s.ids.tolist())
        records.append(ImageRecord(z, f"{path.name}#z={z}", sl.shape[0], sl.shape[1], {"z": z}, s))
    hdr = img.header
    cats = [Category(v, names.get(v, str(v))) for v in sorted(seen | set(names) - {0})]
    meta = {"affine": np.asarray(img.affine, np.float64).tolist(), "zooms": [float(z) for z in hdr.get_zooms()[:3]],
            "shape": list(vol.shape), "dtype": str(data.dtype),
            "descrip": bytes(hdr.get("descrip", b"")).decode("latin-1").rstrip("\x00") if "descrip" in hdr else "",
            "intent_code": int(hdr["intent_code"]) if "intent_code" in hdr else 0}
    return new_dataset(path, records, cats, metadata={"nifti": meta})


def write_nifti(dataset: Dataset, path: StrPath, *, dtype: Optional[DTypeLike] = None, overlap: str = "error") -> None:
    """Write the dataset's slices as one NIfTI volume (module docstring)."""
    nib = _nibabel()
    from ._common import write_atomic
    meta = dataset.metadata.get("nifti", {})
    dt = np.dtype(dtype or meta.get("dtype", "int32"))
    if not len(dataset):
        raise ValueError("dataset: no slices to write")
    h, w = int(dataset[0].height), int(dataset[0].width)
    vol = np.zeros((w, h, len(dataset)), dt)
    for z, rec in enumerate(dataset):
        if (rec.height, rec.width) != (h, w):
            raise ValueError(f"image {rec.image_id}: every slice must be {h}x{w}, got {rec.height}x{rec.width}")
        s = rec.segments
        if len(s):
            lm = s.to_label_map(np.int64, overlap=overlap)
            if dt.kind in "iu":
                info = np.iinfo(dt)
                if s.ids.min() < info.min or s.ids.max() > info.max:
                    raise OverflowError(f"dtype: label {int(s.ids.max())} does not fit {dt}")
            vol[:, :, z] = lm.T.astype(dt)
    affine = np.array(meta.get("affine", np.eye(4)), np.float64)
    img = nib.Nifti1Image(vol, affine)
    if "zooms" in meta:
        img.header.set_zooms(tuple(meta["zooms"]))
    if meta.get("descrip"):
        img.header["descrip"] = meta["descrip"].encode("latin-1")[:79]
    img.header.set_data_dtype(dt)
    suffix = "".join(Path(path).suffixes[-2:]) if str(path).endswith(".nii.gz") else Path(path).suffix

    def put(f: IO[bytes]) -> None:
        # nibabel writes by file name: write to a temporary name with the right suffix, then copy.
        import os
        import tempfile
        fd, tmp = tempfile.mkstemp(suffix=suffix or ".nii.gz")
        os.close(fd)
        try:
            nib.save(img, tmp)
            with open(tmp, "rb") as src:
                f.write(src.read())
        finally:
            os.unlink(tmp)
    write_atomic(path, put)
