"""The one mechanism behind the "mask PNG + segment table" formats (``"index-png"``, ``"rgb"``):
a JSON file with ``categories`` and ``items``, each item an image with one mask PNG (relative
to the JSON's folder) and a list of rows (segments / features) that say what the PNG's values
mean.

Reading: :func:`read_table` checks the JSON's frame (the items list, the categories, each
item's image fields) and returns :class:`Item` s; the format parses its rows (with
:func:`row_category`, :func:`row_crowd`, :func:`row_metadata` for the fields every such format
shares) and gives a ``build(item)`` that reads the PNG and makes the image's
:class:`~maskcore.Segments` in one native pass; :func:`load_items` runs the builds on threads
(PNG decoding and the label-map / colour passes release the GIL) and makes the records.

Writing: :func:`write_table` names each image's PNG, refuses two images that would write the
same file, runs the format's ``render(k, record) -> (png bytes, rows, extra item fields)`` on
threads (each PNG written atomically, staged with the dataset) and writes the JSON last.

Category ids: a row names its category by ``category_id`` (and, where the format has one, by a
name that must agree). Category id 0 that is not among ``categories`` means "no category" (the
:class:`~maskcore.Segments` default) and is written as no ``category_id`` at all. Any other id
not among ``categories`` is refused, by the reader and by the writer alike, unless both are
given ``strict=False``: the reader then keeps it and lists it in
``dataset.metadata["unknown_category_ids"]``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Optional, Sequence

from ..dataset import Dataset, ImageRecord
from ._common import (FormatError, current_stage, fail, load_json, new_dataset, parallel_map, side, want_int,
                      write_bytes, write_json)
from .coco import _categories, _category_json

if TYPE_CHECKING:
    from ..dataset import Category
    from ..segments import Segments
    from ._common import StrPath

__all__ = ["Item", "Categories", "read_table", "row_category", "row_crowd", "row_metadata", "load_items",
           "write_table", "CategoryFields"]


@dataclass
class Item:
    """One item of a table file, its frame checked (rows not yet parsed)."""

    where: str  # "items[k]", for messages
    image_id: int
    file_name: str
    height: int
    width: int
    mask: str  # the PNG, relative to the JSON's folder
    png: Path  # the PNG's path
    metadata: dict[str, Any]  # the item's "metadata" plus mask_file
    rows: list[dict[str, Any]]  # the raw rows (the format parses them)
    raw: dict[str, Any]  # the item's JSON object (its format-specific fields)
    table: Any = None  # what the format makes of the rows
    extra: dict[str, Any] = field(default_factory=dict)  # per-record metadata the build adds (snap reports)


class Categories:
    """The categories of a table file and the rule for a row's category id (module docstring)."""

    def __init__(self, path: Path, cats: list[Category], strict: bool) -> None:
        self.path, self.list, self.strict = path, cats, strict
        self.ids = {c.id for c in cats}
        self.name_of = {c.id: c.name for c in cats}
        self.by_name: dict[str, int] = {}
        for c in cats:
            self.by_name.setdefault(c.name, c.id)
        self.unknown: set[int] = set()

    def check(self, where: str, cid: int) -> int:
        if cid in self.ids or cid == 0:
            return cid
        if self.strict:
            raise fail(self.path, where, "the id of a category in 'categories' (or strict=False to keep it)", cid)
        self.unknown.add(cid)
        return cid


def read_table(path: StrPath, rows_key: str, *, strict: bool = True) -> tuple[dict[str, Any], Categories, list[Item]]:
    """(the JSON object, :class:`Categories`, [:class:`Item`]) of a table file, the frame checked:
    ``items`` a list of objects, each with ``mask`` (a string), ``height``, ``width`` and
    ``rows_key`` (a list); ``image_id`` an int (default: position + 1), ``file_name`` a string,
    ``metadata`` an object."""
    path = Path(path)
    obj = load_json(path)
    if not isinstance(obj, dict) or not isinstance(obj.get("items"), list):
        raise fail(path, "items", "a JSON object with an 'items' list", f"<{type(obj).__name__}>")
    cats = Categories(path, _categories(path, obj.get("categories", [])), strict)
    items: list[Item] = []
    for k, it in enumerate(obj["items"]):
        w_ = f"items[{k}]"
        if not isinstance(it, dict):
            raise fail(path, w_, "an object", f"<{type(it).__name__}>")
        for key in ("mask", "height", "width", rows_key):
            if key not in it:
                raise fail(path, f"{w_}.{key}", f"the item's {key}", "<missing>")
        iid = want_int(path, f"{w_}.image_id", it.get("image_id", k + 1))
        h, w = side(path, f"{w_}.height", it["height"]), side(path, f"{w_}.width", it["width"])
        mask = it["mask"]
        if not isinstance(mask, str):
            raise fail(path, f"{w_}.mask", "a PNG path", mask)
        fn = it.get("file_name", "")
        if not isinstance(fn, str):
            raise fail(path, f"{w_}.file_name", "a string", fn)
        meta = row_metadata(path, w_, it)
        rows = it[rows_key]
        if not isinstance(rows, list):
            raise fail(path, f"{w_}.{rows_key}", "a list", f"<{type(rows).__name__}>")
        for j, r in enumerate(rows):
            if not isinstance(r, dict):
                raise fail(path, f"{w_}.{rows_key}[{j}]", "an object", f"<{type(r).__name__}>")
        items.append(Item(w_, iid, fn, h, w, mask, path.parent / mask, dict(meta, mask_file=mask), rows, it))
    return obj, cats, items


def row_category(cats: Categories, where: str, row: dict[str, Any], name_key: Optional[str] = None, *,
                 name_binds: bool = True) -> int:
    """A row's category id: its ``category_id``, else the category named by ``row[name_key]``
    (when ``name_key`` is given and the row has it), else 0. ``name_binds`` (index-png's
    ``label``): with both, the name must be the category's, and an unknown name is an error.
    Otherwise (Labelbox's feature ``name``, which is free text): a name that is a category's
    gives its id when there is no ``category_id``, and is otherwise only kept."""
    path = cats.path
    cid = row.get("category_id")
    if cid is not None:
        cid = cats.check(f"{where}.category_id", want_int(path, f"{where}.category_id", cid))
    if name_key is not None and row.get(name_key) is not None:
        name = row[name_key]
        if not name_binds:
            if cid is None and isinstance(name, str) and name in cats.by_name:
                cid = cats.by_name[name]
            return 0 if cid is None else cid
        if not isinstance(name, str):
            raise fail(path, f"{where}.{name_key}", "a category name", name)
        if cid is not None and cid in cats.ids:
            if cats.name_of[cid] != name:
                raise fail(path, f"{where}.{name_key}", f"the name of category {cid} ({cats.name_of[cid]!r})", name)
        elif cid is None:
            if name not in cats.by_name:
                raise fail(path, f"{where}.{name_key}", "the name of a category in 'categories'", name)
            cid = cats.by_name[name]
    return 0 if cid is None else cid


def row_crowd(path: StrPath, where: str, row: dict[str, Any]) -> bool:
    crowd = row.get("iscrowd", False)
    if crowd not in (0, 1, True, False) or isinstance(crowd, float):
        raise fail(path, f"{where}.iscrowd", "a bool", crowd)
    return bool(crowd)


def row_metadata(path: StrPath, where: str, row: dict[str, Any], key: str = "metadata") -> dict[str, Any]:
    md = row.get(key, {})
    if not isinstance(md, dict):
        raise fail(path, f"{where}.{key}", "an object", f"<{type(md).__name__}>")
    return md


def load_items(path: StrPath, obj: Any, cats: Categories, items: Sequence[Item], build: Callable[[Item], Segments], *,
               threads: Optional[int] = None, metadata: Optional[dict[str, Any]] = None) -> Dataset:
    """A Dataset of ``items``: ``build(item)`` (on ``threads`` threads) reads the item's PNG and
    returns its Segments; a ValueError it raises is re-raised naming the PNG and the table."""
    path = Path(path)

    def one(item: Item) -> ImageRecord:
        try:
            segs = build(item)
        except FormatError:
            raise
        except ValueError as e:
            raise FormatError(f"{item.png}: {e} (the table is {path.name} {item.where})") from None
        return ImageRecord(item.image_id, item.file_name, item.height, item.width, dict(item.metadata, **item.extra),
                           segs)

    records = parallel_map(one, items, threads)
    meta = dict(metadata or {})
    if cats.unknown:
        meta["unknown_category_ids"] = sorted(cats.unknown)
    return new_dataset(path, records, cats.list, metadata=meta)


class CategoryFields:
    """The row fields that name a category id so that :func:`row_category` reads it back:
    ``category_id`` (none for 0 when 0 is no category), and ``name_key`` = the category's
    name when that name tells it apart from every other category. Ids that are neither a
    category's nor 0 are refused unless ``strict=False`` (module docstring)."""

    def __init__(self, dataset: Dataset, strict: bool, name_key: Optional[str]):
        names: dict[str, int] = {}
        for c in dataset.categories:
            names[c.name] = names.get(c.name, 0) + 1
        self.ids = {c.id for c in dataset.categories}
        self.named = {c.id: c.name for c in dataset.categories if names[c.name] == 1} if name_key else {}
        self.strict, self.name_key = strict, name_key

    def __call__(self, cid: int, image_id: int, row: int) -> dict[str, Any]:
        if cid in self.ids:
            if self.name_key and cid in self.named:  # (named is empty without a name_key)
                return {"category_id": cid, self.name_key: self.named[cid]}
            return {"category_id": cid}
        if cid == 0:
            return {}
        if self.strict:
            raise ValueError(f"category_ids: image {image_id} segment {row}: category id {cid} is not among the dataset's categories; the "
                             "reader would refuse it (add the category, or write and read with strict=False)")
        return {"category_id": cid}


def write_table(dataset: Dataset, path: StrPath, header: dict[str, Any],
                render: Callable[[int, ImageRecord], tuple[bytes, dict[str, Any]]], *, mask_dir: str = "masks",
                threads: Optional[int] = None) -> None:
    """Write a table file: ``render(k, record)`` returns (PNG bytes, the item's rows as a dict of
    extra item fields); PNGs are written (atomically, staged) on ``threads`` threads, the JSON
    (``header`` + ``categories`` + ``items``) last."""
    path = Path(path)
    masks: list[str] = []
    written: set[str] = set()
    for meta, fn, iid in zip(dataset._image_meta, dataset._file_names, dataset._image_ids.tolist()):  # no Segments
        mask = meta.get("mask_file") or f"{mask_dir}/{Path(fn).stem or iid}.png"
        if mask in written:
            raise ValueError(f"mask: two images would write {mask}")
        written.add(mask)
        masks.append(mask)
    stage = current_stage()

    def one_item(k: int) -> dict[str, Any]:
        rec = dataset[k]
        data, fields = render(k, rec)
        write_bytes(path.parent / masks[k], data, stage=stage)
        item = {"image_id": rec.image_id, "file_name": rec.file_name, "mask": masks[k], "height": rec.height,
                "width": rec.width, **fields}
        meta = {key: v for key, v in rec.metadata.items() if key not in ("mask_file", "snap_report")}
        if meta:
            item["metadata"] = meta
        return item

    items = parallel_map(one_item, range(len(dataset)), threads)
    write_json(path, {**header, "categories": [_category_json(c) for c in dataset.categories], "items": items})
