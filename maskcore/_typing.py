"""Type aliases of the public API, for annotations only (nothing here runs at import time
but the TYPE_CHECKING test: the package supports Python 3.9, whose typing lacks TypeAlias)."""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import Any, Dict, Sequence, TypeAlias, TypeVar, Union

    from numpy.typing import ArrayLike as ArrayLike, NDArray as NDArray  # re-exported

    from .rle import RLE, RLEBatch

    #: A COCO RLE dict: ``{"size": [h, w], "counts": str | bytes | list of int}``.
    COCORLE: TypeAlias = Dict[str, Any]
    #: One mask in run-length form (a COCO dict is parsed and validated).
    OneRLE: TypeAlias = Union[RLE, COCORLE]
    #: Many masks in run-length form.
    ManyRLEs: TypeAlias = Union[RLEBatch, Sequence[Union[RLE, COCORLE]]]
    #: What every function that reads RLEs takes.
    RLELike: TypeAlias = Union[OneRLE, ManyRLEs]

    #: A label map painted in place and returned as given (a numpy array or a CPU tensor).
    LabelMap = TypeVar("LabelMap")
    #: One binary mask or many: a dense (H, W) array or (H, W, N) stack, RLEs, COCO dicts,
    #: an RLEBatch, or a list of masks.
    Masks: TypeAlias = Union[ArrayLike, RLELike]
